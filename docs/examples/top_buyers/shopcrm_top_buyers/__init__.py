"""A command: ``shopcrm top-buyers show``, a shop's best customers by what they paid.

The commands are in a group named after the plugin, so they never take a name the core or
another plugin uses. Mobile numbers are left out: the output ends up in terminals and logs.
"""
from __future__ import annotations

import click
from sqlalchemy import select

from shopcrm import hookimpl
from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.models import Customer


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.group("top-buyers", help="A shop's best customers.")
    def top_buyers() -> None:
        pass

    @top_buyers.command("show", help="The customers who paid the most, best first.")
    @click.option("--shop", default=None, help="Shop name (default: the first shop).")
    @click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def show(shop: str | None, limit: int, as_json: bool) -> None:
        cfg = config()
        require_schema(cfg)
        with session_scope(cfg) as session:
            rows = session.execute(
                select(Customer.platform_id, Customer.name, Customer.order_count, Customer.total_paid)
                .where(Customer.shop_id == shop_id(session, shop), Customer.order_count > 0)
                .order_by(Customer.total_paid.desc(), Customer.id)
                .limit(limit)
            ).all()
        buyers = [{"buyer": nick or name or "-", "orders": orders, "paid": f"{paid:.2f}"}
                  for nick, name, orders, paid in rows]
        if as_json:
            echo_json(buyers)
            return
        for rank, buyer in enumerate(buyers, start=1):
            click.echo(f"{rank:>3}  {buyer['buyer']}  {buyer['orders']} orders  ¥{buyer['paid']}")
