"""The command example: `shopcrm top-buyers show` lists a shop's best customers, never their mobiles."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Callable

from click.testing import CliRunner
from sqlalchemy.orm import Session

from shopcrm.cli import build_cli
from shopcrm.models import Customer, Shop


def test_the_best_customers_are_listed_best_first(load_examples: Callable[..., None], session: Session) -> None:
    load_examples("top_buyers")
    shop = Shop(name="店")
    session.add(shop)
    session.flush()
    session.add_all([
        Customer(shop_id=shop.id, platform_id="lily", mobile="13800000001", order_count=2, total_paid=Decimal("300")),
        Customer(shop_id=shop.id, platform_id="wei", mobile="13800000002", order_count=1, total_paid=Decimal("500")),
        Customer(shop_id=shop.id, platform_id="new", mobile="13800000003"),
    ])
    session.commit()
    cli = build_cli()
    shown = CliRunner().invoke(cli, ["top-buyers", "show", "--shop", "店", "--limit", "5"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == ["  1  wei  1 orders  ¥500.00", "  2  lily  2 orders  ¥300.00"]
    assert "138" not in shown.output
    as_json = CliRunner().invoke(cli, ["top-buyers", "show", "--shop", "店", "--limit", "1", "--json"])
    assert json.loads(as_json.output) == [{"buyer": "wei", "orders": 1, "paid": "500.00"}]
    unknown = CliRunner().invoke(cli, ["top-buyers", "show", "--shop", "无此店"])
    assert unknown.exit_code == 1 and "no shop named '无此店'" in unknown.output
