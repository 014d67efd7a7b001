"""JSON orders and customers for the API: parsed into records, errors naming the field."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shopcrm.api_records import FieldError, parse_customer, parse_order
from shopcrm.sources import OrderStatus

ORDER = {
    "order_id": "T1001", "customer_id": "tb_a", "mobile": "13800000000", "status": "WAIT_SELLER_SEND_GOODS",
    "paid_amount": "88.5", "created_at": "2026-11-11T00:01:02+08:00", "paid_at": "2026-11-11 00:02:00",
    "address": "浙江省 杭州市 西湖区", "items": [{"title": "杯子", "quantity": 2, "price": 44.25}],
}


def test_a_full_order():
    record = parse_order(ORDER)
    assert (record.platform_order_id, record.status, record.paid_amount) == ("T1001", OrderStatus.PAID, Decimal("88.50"))
    assert record.created_at == dt.datetime(2026, 11, 11, 0, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert record.paid_at == dt.datetime(2026, 11, 11, 0, 2)  # shop time
    assert (record.customer.province, record.customer.city) == ("浙江省", "杭州市")
    assert [(i.title, i.quantity, i.price) for i in record.items] == [("杯子", 2, Decimal("44.25"))]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"paid_amount": "lots"}, "paid_amount", "not an amount"),
        ({"status": "teleported"}, "status", "unknown order status"),
        ({"created_at": None}, "created_at", "missing"),
        ({"created_at": "2026-13-01T00:00:00"}, "created_at", "not an ISO 8601 time"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"customer_id": None, "mobile": None}, "customer_id", "give a customer_id or a mobile"),
        ({"items": [{"quantity": 1}]}, "items[0].title", "needs a title"),
        ({"items": [{"title": "x", "quantity": "many"}]}, "items[0].quantity", "not a quantity"),
        ({"items": "cup"}, "items", "expected a list"),
        ({"mobile": {"n": 1}}, "mobile", "expected a string or number"),
    ],
)
def test_errors_name_the_field(change, field, message):
    with pytest.raises(FieldError) as info:
        parse_order({**ORDER, **change})
    assert info.value.field == field and message in info.value.message


def test_a_customer():
    record = parse_customer({"mobile": "+8613800000000", "name": "李雷", "tags": ["vip", " 老客 "], "gender": "男"})
    assert (record.mobile, record.tags, record.gender) == ("+8613800000000", ["vip", "老客"], "m")
    with pytest.raises(FieldError, match="expected an object"):
        parse_customer(["not", "an", "object"])
