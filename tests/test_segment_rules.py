"""Segment rules compile to one SQL condition that matches what the rules say, on both databases."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, OptOut, Order, OrderItem, Review, Shop
from shopcrm.segment_rules import RuleError, compile_rules, matching_customers

NOW = utcnow()


@pytest.fixture
def shop(session):
    shop = Shop(name="规则店")
    session.add(shop)
    session.flush()
    people = {
        "amy": dict(province="浙江省", city="杭州市", gender="f", birthday=dt.date(1990, 3, 8), tags=["vip", "老客"],
                    total_paid=Decimal("1200.50"), order_count=5, first_order_at=NOW - dt.timedelta(days=400),
                    last_order_at=NOW - dt.timedelta(days=3), mobile="13800000001", sms_reachable=True),
        "bob": dict(province="广东省", city="深圳市", gender="m", birthday=dt.date(1985, 11, 11), tags=["新客"],
                    total_paid=Decimal("88.00"), order_count=1, first_order_at=NOW - dt.timedelta(days=40),
                    last_order_at=NOW - dt.timedelta(days=40), mobile="13800000002", sms_reachable=True),
        "cat": dict(province=None, city=None, gender=None, birthday=None, tags=[], total_paid=Decimal(0),
                    order_count=0, mobile="0571-1234", sms_reachable=False),
    }
    rollup_fields = ("total_paid", "order_count", "first_order_at", "last_order_at")
    ids = {}
    for nick, values in people.items():
        customer = Customer(shop_id=shop.id, platform_id=nick,
                            **{k: v for k, v in values.items() if k not in rollup_fields})
        session.add(customer)
        session.flush()
        ids[nick] = customer.id
    order = Order(shop_id=shop.id, customer_id=ids["amy"], platform_order_id="o1", status="completed",
                  paid_amount=Decimal("99"), created_at=NOW - dt.timedelta(days=3))
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, title="小满 316不锈钢保温杯 500ml", sku="BWB-500", quantity=1))
    unpaid = Order(shop_id=shop.id, customer_id=ids["bob"], platform_order_id="o2", status="closed",
                   created_at=NOW - dt.timedelta(days=40))
    session.add(unpaid)
    session.flush()
    session.add(OrderItem(order_id=unpaid.id, title="保温杯 旅行款", sku="BWB-300", quantity=1))
    session.add(Review(shop_id=shop.id, customer_id=ids["bob"], platform_review_id="r1", rating=1, is_bad=True,
                       content="差", created_at=NOW))
    session.add(OptOut(shop_id=shop.id, channel="sms", mobile="13800000002", source="reply"))
    session.add_all([
        CustomerLabel(shop_id=shop.id, customer_id=ids["amy"], segmenter="rfm", value="重要价值客户"),
        CustomerLabel(shop_id=shop.id, customer_id=ids["bob"], segmenter="rfm", value="一般发展客户"),
    ])
    session.commit()
    # A longer history than the two orders above: set the rollups behind the ORM's back.
    for nick, values in people.items():
        session.execute(update(Customer).where(Customer.id == ids[nick])
                        .values({k: v for k, v in values.items() if k in rollup_fields}))
    session.commit()
    shop.ids = ids
    return shop


def match(session, shop, rules):
    names = {v: k for k, v in shop.ids.items()}
    return {names[i] for i in session.scalars(matching_customers(shop.id, rules, {"rfm"}))}


def cond(field, op, value):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("total_paid", ">=", 100), {"amy"}),
        (cond("total_paid", "between", [50, "100"]), {"bob"}),
        (cond("order_count", "=", 0), {"cat"}),
        (cond("order_count", "in", [1, 5]), {"amy", "bob"}),
        (cond("last_order_at", "within_days", 30), {"amy"}),
        (cond("last_order_at", "not_within_days", 30), {"bob", "cat"}),
        (cond("first_order_at", "<", (NOW - dt.timedelta(days=100)).date().isoformat()), {"amy"}),
        (cond("first_order_at", "between", [(NOW - dt.timedelta(days=41)).date().isoformat(),
                                            (NOW - dt.timedelta(days=40)).date().isoformat()]), {"bob"}),
        (cond("province", "=", "浙江省"), {"amy"}),
        (cond("province", "!=", "浙江省"), {"bob", "cat"}),
        (cond("province", "not_in", ["浙江省", "广东省"]), {"cat"}),
        (cond("city", "contains", "深"), {"bob"}),
        (cond("gender", "=", "女"), {"amy"}),
        (cond("birthday_month", "=", 11), {"bob"}),
        (cond("birthday_month", "between", [1, 6]), {"amy"}),
        (cond("tag", "=", "vip"), {"amy"}),
        (cond("tag", "in", ["新客", "老客"]), {"amy", "bob"}),
        (cond("tag", "!=", "vip"), {"bob", "cat"}),
        (cond("bought", "contains", "保温杯"), {"amy"}),  # bob's cup order was closed: not bought
        (cond("bought", "=", "BWB-500"), {"amy"}),
        (cond("bad_review", "=", True), {"bob"}),
        (cond("bad_review", "=", False), {"amy", "cat"}),
        (cond("opted_out", "=", True), {"bob"}),
        (cond("sms_reachable", "=", False), {"cat"}),
        (cond("label.rfm", "=", "重要价值客户"), {"amy"}),
        (cond("label.rfm", "not_in", ["重要价值客户"]), {"bob", "cat"}),
        (cond("total_paid", "!=", "88"), {"amy", "cat"}),
    ],
)
def test_each_field_and_operator(session, shop, rule, expected):
    assert match(session, shop, {"all": [rule]}) == expected


def test_nested_groups(session, shop):
    rules = {"all": [cond("sms_reachable", "=", True),
                     {"any": [cond("province", "=", "广东省"), cond("tag", "=", "vip")]},
                     {"any": [cond("total_paid", ">", 1000), cond("opted_out", "=", False)]}]}
    assert match(session, shop, rules) == {"amy"}
    assert match(session, shop, {"all": []}) == {"amy", "bob", "cat"}
    assert match(session, shop, {"any": []}) == set()


@pytest.mark.parametrize(
    ("rules", "path", "message"),
    [
        ({"all": [cond("colour", "=", "red")]}, "all[0].field", "unknown field 'colour'"),
        ({"all": [cond("province", "~", "x")]}, "all[0].op", "unknown operator '~'"),
        ({"all": [cond("province", ">", "x")]}, "all[0].op", "province cannot use '>'"),
        ({"all": [cond("total_paid", ">", "lots")]}, "all[0].value", "expected a number"),
        ({"all": [cond("total_paid", ">", True)]}, "all[0].value", "expected a number"),
        ({"all": [cond("order_count", "=", 1.5)]}, "all[0].value", "expected a whole number"),
        ({"all": [cond("last_order_at", "<", "yesterday")]}, "all[0].value", "expected a date"),
        ({"all": [cond("total_paid", "between", [9, 1])]}, "all[0].value", "low end"),
        ({"all": [cond("province", "in", [])]}, "all[0].value", "non-empty list"),
        ({"all": [cond("birthday_month", "=", 13)]}, "all[0].value", "month from 1 to 12"),
        ({"all": [cond("bad_review", "=", "yes")]}, "all[0].value", "true or false"),
        ({"all": [cond("label.tier", "=", "gold")]}, "all[0].field", "unknown label 'label.tier'"),
        ({"all": [{"field": "province", "op": "="}]}, "all[0].value", "needs a value"),
        ({"all": [{"any": [{"field": "city", "op": "=", "value": "x", "extra": 1}]}]}, "all[0].any[0].extra", "unknown key"),
        ({"all": "province"}, "all", "expected a list"),
        (["all"], "", "expected an object"),
        ({"none": []}, "", "expected {\"all\""),
    ],
)
def test_bad_rules_are_clear_errors(rules, path, message):
    with pytest.raises(RuleError) as info:
        compile_rules(rules, {"rfm"})
    assert info.value.path == path and message in info.value.message


def test_values_are_parameters_not_sql(session, shop):
    assert match(session, shop, {"all": [cond("province", "=", "x' OR '1'='1")]}) == set()
    assert match(session, shop, {"all": [cond("tag", "=", "vip' OR 1=1 --")]}) == set()
    assert match(session, shop, {"all": [cond("city", "contains", "%")]}) == set()


def test_count_matching_counts_what_matching_customers_lists(session, shop):
    from shopcrm.segment_rules import count_matching

    rules = {"any": [cond("tag", "=", "vip"), cond("bad_review", "=", True)]}
    assert session.scalar(count_matching(shop.id, rules)) == len(match(session, shop, rules)) == 2
