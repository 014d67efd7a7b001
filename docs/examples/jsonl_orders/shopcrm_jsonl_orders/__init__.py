"""A data source: Taobao-style orders exported as JSON Lines, one order a line.

    {"tid": "3712893019283746", "status": "TRADE_FINISHED", "buyer_nick": "tb_lily",
     "mobile": "13800000001", "province": "浙江省", "city": "杭州市", "payment": "128.00",
     "created": "2026-11-01 10:02:03", "pay_time": "2026-11-01 10:05:00",
     "items": [{"title": "加绒连帽卫衣", "num": 1, "price": "128.00"}]}

Times are the shop's local time, as the platform exports them.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Mapping

from flask_babel import lazy_gettext as _l

from shopcrm import hookimpl
from shopcrm.sources import (CustomerRecord, DataSource, OrderItemRecord, OrderRecord, OrderStatus,
                             RowError)

STATUSES = {
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.SIGNED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
}
CLOSED = {"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"}  # refunded if it was paid, else closed


class BadValue(ValueError):
    """A value that cannot be read; becomes a row error naming its column."""

    def __init__(self, column: str | None, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason
        self.value = None if value is None else str(value)[:200]


class JsonLinesOrders(DataSource):
    name = "jsonl_orders"
    label = _l("Orders (JSON Lines)")
    kinds = ("orders",)

    def fetch(self, params: Mapping[str, Any]) -> Iterator[OrderRecord | RowError]:
        with open(params["path"], encoding="utf-8") as lines:  # streamed, never read whole
            for row, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    yield order(row, line)
                except BadValue as bad:
                    yield RowError(row, bad.column, bad.reason, bad.value)


def order(row: int, line: str) -> OrderRecord:
    """The order on one line; :class:`BadValue` when something cannot be read."""
    try:
        data = json.loads(line)
    except ValueError:
        raise BadValue(None, "not JSON", line.strip()) from None
    if not isinstance(data, dict):
        raise BadValue(None, "not a JSON object", line.strip())
    paid_at = time(data, "pay_time")
    if data.get("status") in CLOSED:
        status = OrderStatus.REFUNDED if paid_at else OrderStatus.CLOSED
    elif data.get("status") in STATUSES:
        status = STATUSES[data["status"]]
    else:
        raise BadValue("status", "unknown order status", data.get("status"))
    items = data.get("items") or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadValue("items", "not a list of objects", items)
    return OrderRecord(
        platform_order_id=text(data, "tid", required=True),
        status=status,
        customer=CustomerRecord(
            platform_id=text(data, "buyer_nick", required=True), mobile=text(data, "mobile"),
            province=text(data, "province"), city=text(data, "city"), row=row,
        ),
        total_amount=amount(data, "payment"),
        paid_amount=amount(data, "payment") if paid_at else Decimal("0"),
        created_at=time(data, "created"),
        paid_at=paid_at,
        items=[OrderItemRecord(title=str(item.get("title", "")), quantity=quantity(item),
                               price=amount(item, "price")) for item in items],
        row=row,
    )


def text(data: Mapping[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise BadValue(key, "missing value")
        return None
    return str(value)


def amount(data: Mapping[str, Any], key: str) -> Decimal:
    try:
        return Decimal(str(data.get(key) or "0"))
    except InvalidOperation:
        raise BadValue(key, "not an amount", data.get(key)) from None


def quantity(item: Mapping[str, Any]) -> int:
    try:
        return int(item.get("num", 1))
    except (TypeError, ValueError):
        raise BadValue("num", "not a whole number", item.get("num")) from None


def time(data: Mapping[str, Any], key: str) -> dt.datetime | None:
    value = data.get(key)
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise BadValue(key, "not a date and time", value) from None


@hookimpl
def register_data_sources() -> list[DataSource]:
    return [JsonLinesOrders()]
