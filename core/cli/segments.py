"""``shopcrm segments``: saved segments from the command line."""
from __future__ import annotations

import click
from sqlalchemy import select

from shopcrm.cli.common import config, echo_json, require_schema, rules_option, shop_id
from shopcrm.db import session_scope
from shopcrm.models import Segment
from shopcrm.saved_segments import count_rules, count_segment, find_segment, save_segment
from shopcrm.segment_rules import RuleError


@click.group(help="Saved segments: rules on customers, evaluated when used.")
def segments() -> None:
    pass


@segments.command("list", help="Saved segments with their last count.")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_segments(shop: str | None, as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        rows = [{"name": s.name, "rules": s.rules, "last_count": s.last_count,
                 "last_counted_at": s.last_counted_at.isoformat() if s.last_counted_at else None}
                for s in session.scalars(select(Segment).where(Segment.shop_id == shop_id(session, shop))
                                         .order_by(Segment.name))]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        count = "never counted" if row["last_count"] is None else f"{row['last_count']} customers"
        click.echo(f"{row['name']:<30} {count}")


@segments.command("count", help="Count the customers of a saved segment (NAME) or of --rules JSON.")
@click.argument("name", required=False)
@click.option("--rules", "rules_text", default=None, help='e.g. {"all": [{"field": "order_count", "op": ">=", "value": 2}]}')
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def count(name: str | None, rules_text: str | None, shop: str | None, as_json: bool) -> None:
    if (name is None) == (rules_text is None):
        raise click.UsageError("give a segment NAME or --rules JSON (one of them)")
    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            target = shop_id(session, shop)
            if name is not None:
                total = count_segment(session, find_segment(session, target, name))
            else:
                total = count_rules(session, target, rules_option(rules_text or ""))
    except (RuleError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json({"name": name, "count": total})
    else:
        click.echo(total)


@segments.command("save", help="Save (or replace) a segment.")
@click.argument("name")
@click.option("--rules", "rules_text", required=True)
@click.option("--description", default="")
@click.option("--shop", default=None)
def save(name: str, rules_text: str, description: str, shop: str | None) -> None:
    cfg = config()
    require_schema(cfg)
    try:
        with session_scope(cfg) as session:
            segment = save_segment(session, shop_id(session, shop), name, rules_option(rules_text), description)
            total = count_segment(session, segment)
    except (RuleError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"saved segment {name}: {total} customers now")


def register(cli: click.Group) -> None:
    cli.add_command(segments)
