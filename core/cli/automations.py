"""``shopcrm automations``: switch care messages (triggers) on and off, per shop."""
from __future__ import annotations

from typing import Any

import click

from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.durations import format_duration, parse_duration


@click.group(help="Automations: care messages along each order's life and on schedules.")
def automations() -> None:
    pass


@automations.command("list", help="Every trigger of every plugin, with the shop's automation of it.")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_(shop: str | None, as_json: bool) -> None:
    from shopcrm.automation_store import states

    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        found = states(session, shop_id(session, shop))
    if as_json:
        echo_json([s.as_dict() for s in found])
        return
    for s in found:
        switch = "on " if s.enabled else "off"
        kind = "marketing" if s.marketing else "notice"
        click.echo(f"{switch} {s.trigger:<22} {format_duration(s.delay):>6}  {s.channel or '-':<12} "
                   f"{kind:<9} {s.plugin}: {s.label}")


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r}: write KEY=VALUE, e.g. days=30", param_hint="--option")
        options[key.strip()] = value.strip()
    return options


@automations.command("enable", help="Switch trigger NAME on for the shop (or change it while it is on).")
@click.argument("name")
@click.option("--delay", default=None, help="How long after the event to send: 30m, 6h, 2d (default: the trigger's).")
@click.option("--channel", default=None, help="e.g. sms_mock or sms_aliyun (needed the first time).")
@click.option("--template-text", "text", default=None, help="The message, with ${var} placeholders.")
@click.option("--subject", default=None,
              help="The subject of its emails, with ${var} placeholders (email channels; \"\" clears it).")
@click.option("--night", type=click.Choice(["defer", "send"]), default=None,
              help="Notifications in quiet hours: wait for the morning (default) or send.")
@click.option("--option", "pairs", multiple=True, help="A trigger option KEY=VALUE, e.g. days=30 (repeatable).")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def enable(name: str, delay: str | None, channel: str | None, text: str | None, subject: str | None,
           night: str | None, pairs: tuple[str, ...], shop: str | None, as_json: bool) -> None:
    from shopcrm.automation_store import AutomationError
    from shopcrm.automation_store import enable as enable_automation

    try:
        wait = parse_duration(delay) if delay is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--delay") from None
    options = _options(pairs)
    if night is not None:
        options["night"] = night
    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            made = enable_automation(session, shop_id(session, shop), name, delay=wait, channel=channel,
                                     template_text=text, options=options, subject=subject)
    except AutomationError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json(made.as_dict())
    else:
        click.echo(f"{made.trigger} is on: {format_duration(made.delay)} after the event, on {made.channel}")


@automations.command("disable", help="Switch trigger NAME off for the shop; its unsent messages are cancelled.")
@click.argument("name")
@click.option("--shop", default=None)
def disable(name: str, shop: str | None) -> None:
    from shopcrm.automation_store import AutomationError
    from shopcrm.automation_store import disable as disable_automation

    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            disable_automation(session, shop_id(session, shop), name)
    except AutomationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} is off")


@automations.command("alert-phone", help="Show, set (NUMBER) or clear (--clear) the shop's alert phone: "
                                          "where alerts to the shopkeeper (a bad review) go.")
@click.argument("number", required=False)
@click.option("--clear", is_flag=True)
@click.option("--shop", default=None)
def alert_phone(number: str | None, clear: bool, shop: str | None) -> None:
    from shopcrm.shop_alerts import alert_phone as current
    from shopcrm.shop_alerts import set_alert_phone

    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        target = shop_id(session, shop)
        if number is None and not clear:
            click.echo(current(session, target) or "no alert phone set")
            return
        try:
            saved = set_alert_phone(session, target, None if clear else number)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="NUMBER") from None
    click.echo(f"alert phone: {saved}" if saved else "alert phone cleared")


def register(cli: click.Group) -> None:
    cli.add_command(automations)
