"""``shopcrm membership review`` and ``shopcrm membership expire-points``."""
from __future__ import annotations

import click

from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.jobs import enqueue, wait_for
from shopcrm_membership.jobs import EXPIRE, REVIEW


def _run(kind: str, shop: str | None) -> dict:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        target = shop_id(session, shop)
    run_id = enqueue(kind, config=cfg, wait=True, shop_id=target)
    status = wait_for(run_id, cfg)
    if status["status"] != "finished":
        raise click.ClickException(f"the job failed: {status.get('error')}")
    return status["result"] or {}


@click.group(help="Membership: tiers and points.")
def membership() -> None:
    pass


@membership.command("review", help="Bring points and tiers up to date for every customer of a shop "
                                   "(lowering tiers only when the shop has switched downgrades on).")
@click.option("--shop", default=None, help="The shop's name (the first shop when left out).")
@click.option("--json", "as_json", is_flag=True)
def review(shop: str | None, as_json: bool) -> None:
    result = _run(REVIEW, shop)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"reviewed {result.get('customers', 0)} customers")


@membership.command("expire-points", help="Expire points that have outlived their validity.")
@click.option("--shop", default=None, help="The shop's name (the first shop when left out).")
@click.option("--json", "as_json", is_flag=True)
def expire_points(shop: str | None, as_json: bool) -> None:
    result = _run(EXPIRE, shop)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"expired points of {result.get('customers', 0)} customers")


def register(cli: click.Group) -> None:
    cli.add_command(membership)
