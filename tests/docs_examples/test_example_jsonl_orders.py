"""The data-source example imports its sample file through `shopcrm import orders --source`:
orders with their buyers and items, and each bad line in the error report."""
from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import Callable

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.cli import build_cli
from shopcrm.models import Customer, Order, OrderItem
from shopcrm.registry import get_registry
from example_support import EXAMPLES

SAMPLE = EXAMPLES / "jsonl_orders" / "orders.jsonl"


def test_the_sample_file_is_imported(load_examples: Callable[..., None], session: Session) -> None:
    load_examples("jsonl_orders")
    assert get_registry().data_sources.by_plugin("jsonl_orders") == ["jsonl_orders"]
    result = CliRunner().invoke(build_cli(), ["import", "orders", str(SAMPLE), "--source", "jsonl_orders", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert (outcome["status"], outcome["rows"], outcome["inserted"], outcome["errors"]) == ("finished", 6, 4, 2)
    orders = {o.platform_order_id: o for o in session.scalars(select(Order))}
    assert {oid: o.status for oid, o in orders.items()} == {
        "3712893019283746": "completed", "3712893019283747": "pending_payment",
        "3712893019283748": "refunded", "3712893019283751": "paid"}
    assert orders["3712893019283746"].paid_amount == Decimal("128.00")
    assert orders["3712893019283747"].paid_amount == Decimal("0")
    [item] = session.scalars(select(OrderItem).where(OrderItem.order_id == orders["3712893019283747"].id))
    assert (item.title, item.quantity) == ("羊毛袜", 2)
    lily = session.scalar(select(Customer).where(Customer.platform_id == "tb_lily"))
    assert lily is not None and (lily.mobile, lily.province, lily.city, lily.order_count) == (
        "13800000001", "浙江省", "杭州市", 1)
    with open(outcome["error_report"], encoding="utf-8-sig", newline="") as report:
        rows = list(csv.reader(report))
    assert rows[1:] == [["5", "status", "unknown order status", "TRADE_LOST"],
                        ["6", "payment", "not an amount", "lots"]]


def test_a_source_that_is_unknown_or_cannot_import_the_kind_is_refused(load_examples: Callable[..., None]) -> None:
    load_examples("jsonl_orders")
    result = CliRunner().invoke(build_cli(), ["import", "customers", str(SAMPLE), "--source", "jsonl_orders"])
    assert result.exit_code == 2
    assert "no data source 'jsonl_orders' imports customers (sources that do: file)" in result.output
    result = CliRunner().invoke(build_cli(), ["import", "orders", str(SAMPLE), "--source", "jsonl"])
    assert result.exit_code == 2
    assert "no data source 'jsonl' imports orders (sources that do: file, jsonl_orders)" in result.output
