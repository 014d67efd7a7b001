"""``shopcrm customers``: the customer base from the command line."""
from __future__ import annotations

from pathlib import Path

import click

from shopcrm import audit
from shopcrm.cli.common import config, require_schema, shop_id
from shopcrm.customer_export import write_csv
from shopcrm.db import get_engine, session_factory, session_scope
from shopcrm.saved_segments import find_segment


@click.group(help="The customer base.")
def customers() -> None:
    pass


@customers.command("export", help="Write customers with their rollups and labels to a CSV (UTF-8 with BOM).")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--segment", default=None, help="Only the customers of this saved segment.")
@click.option("--shop", default=None)
def export(path: Path, segment: str | None, shop: str | None) -> None:
    cfg = config()
    require_schema(cfg)
    with session_factory(get_engine(cfg))() as session:
        target = shop_id(session, shop)
        rules = None
        if segment is not None:
            try:
                rules = find_segment(session, target, segment).rules
            except LookupError as exc:
                raise click.ClickException(str(exc)) from None
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            count = write_csv(handle, session, target, rules)
    with session_scope(cfg) as session:
        audit.record(session, "customers.export", target=str(path), username="cli",
                     details={"segment": segment, "customers": count, "via": "cli"})
    click.echo(f"exported {count} customers to {path}")


def register(cli: click.Group) -> None:
    cli.add_command(customers)
