"""``shopcrm campaign``: create, send, follow and report on SMS campaigns."""
from __future__ import annotations

import time
from typing import Any

import click

from shopcrm.cli.common import config, echo_json, require_schema, rules_option, shop_id
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.jobs import enqueue, wait_for


def _open(cfg: Config, campaign_id: int) -> dict[str, Any]:
    from shopcrm.campaigns import progress
    from shopcrm.models import Campaign

    with session_scope(cfg) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise click.BadParameter(f"no campaign {campaign_id}", param_hint="ID")
        return progress(session, campaign)


@click.group(help="SMS campaigns: one message to every customer of a segment, once each.")
def campaign() -> None:
    pass


@campaign.command("create", help="Create a draft campaign to a saved segment or to --rules.")
@click.option("--name", required=True)
@click.option("--segment", "segment_name", default=None, help="A saved segment's name.")
@click.option("--rules", "rules_text", default=None, help="Segment rules as JSON.")
@click.option("--template-text", "text", required=True, help="The message, with ${var} placeholders.")
@click.option("--channel", required=True, help="e.g. sms_mock, sms_aliyun or email_smtp.")
@click.option("--subject", default=None, help="The subject, for email channels, with ${var} placeholders.")
@click.option("--control", "control", type=float, default=0.0, show_default=True,
              help="Share held out as a control group (0 to 0.5).")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def create(name: str, segment_name: str | None, rules_text: str | None, text: str, channel: str,
           subject: str | None, control: float, shop: str | None, as_json: bool) -> None:
    from shopcrm.campaigns import CampaignError
    from shopcrm.campaigns import create as create_campaign
    from shopcrm.campaigns import summary
    from shopcrm.saved_segments import find_segment

    if (segment_name is None) == (rules_text is None):
        raise click.UsageError("give --segment NAME or --rules JSON (one of them)")
    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            target = shop_id(session, shop)
            segment_id = find_segment(session, target, segment_name).id if segment_name else None
            made = create_campaign(session, target, name, channel, text, segment_id=segment_id,
                                   rules=rules_option(rules_text) if rules_text else None, control_share=control,
                                   subject=subject)
            result = dict(summary(made))
    except (CampaignError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json(result)
    else:
        click.echo(f"campaign {result['id']} created ({result['name']}, draft)")


@campaign.command("send", help="Start sending campaign ID; --wait returns when it is done.")
@click.argument("campaign_id", metavar="ID", type=int)
@click.option("--wait", is_flag=True, help="Wait until every message is resolved (or deferred to after quiet hours).")
@click.option("--timeout", type=float, default=3600.0, show_default=True, help="Seconds --wait waits at most.")
@click.option("--json", "as_json", is_flag=True)
def send(campaign_id: int, wait: bool, timeout: float, as_json: bool) -> None:
    from shopcrm.dispatch import drain

    cfg = config()
    require_schema(cfg)
    _open(cfg, campaign_id)
    run_id = enqueue("campaign.send", cfg, wait=wait, campaign_id=campaign_id)
    if not wait:
        click.echo(f"campaign {campaign_id} queued for sending (job {run_id})")
        return
    status = wait_for(run_id, cfg, timeout=timeout)
    if status["status"] != "finished":
        raise click.ClickException(f"campaign {campaign_id} could not start: {status.get('error')}")

    def settled() -> bool:
        state = _open(cfg, campaign_id)
        return state["open"] <= state["deferred"]

    if cfg.redis_url:
        deadline = time.monotonic() + timeout
        while not settled():
            if time.monotonic() > deadline:
                raise click.ClickException(f"campaign {campaign_id} still sending after {timeout:.0f} s")
            time.sleep(0.5)
    else:
        drain(cfg, settled, timeout)
    state = _open(cfg, campaign_id)
    if as_json:
        echo_json(state)
    else:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(state["counts"].items()))
        click.echo(f"campaign {campaign_id}: {state['status']}; {counts}"
                   + (f"; {state['deferred']} deferred to after quiet hours" if state["deferred"] else ""))


@campaign.command("report", help="What campaign ID brought back, against its control group.")
@click.argument("campaign_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
def report(campaign_id: int, as_json: bool) -> None:
    from shopcrm.campaign_report import report as campaign_report
    from shopcrm.models import Campaign

    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        found = session.get(Campaign, campaign_id)
        if found is None:
            raise click.BadParameter(f"no campaign {campaign_id}", param_hint="ID")
        figures = campaign_report(session, cfg, found)
    if as_json:
        echo_json(figures)
        return
    for key, value in figures.items():
        if key == "excluded":
            value = ", ".join(f"{reason} {n}" for reason, n in value.items()) or "none"
        click.echo(f"{key:<20} {value}")


@campaign.command("cancel", help="Stop campaign ID: its pending messages are not sent.")
@click.argument("campaign_id", metavar="ID", type=int)
def cancel(campaign_id: int) -> None:
    from shopcrm.campaigns import CampaignError
    from shopcrm.campaigns import cancel as cancel_campaign
    from shopcrm.models import Campaign

    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            found = session.get(Campaign, campaign_id)
            if found is None:
                raise click.BadParameter(f"no campaign {campaign_id}", param_hint="ID")
            skipped = cancel_campaign(session, found)
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"campaign {campaign_id} cancelled; {skipped} pending message(s) will not be sent")


@campaign.command("list", help="The shop's campaigns, newest first.")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_campaigns(shop: str | None, as_json: bool) -> None:
    from sqlalchemy import select

    from shopcrm.campaigns import summary
    from shopcrm.models import Campaign

    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        rows = [dict(summary(c)) for c in session.scalars(
            select(Campaign).where(Campaign.shop_id == shop_id(session, shop)).order_by(Campaign.id.desc()))]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:>5}  {row['status']:<10} {row['channel']:<12} {row['name']}")


def register(cli: click.Group) -> None:
    cli.add_command(campaign)
