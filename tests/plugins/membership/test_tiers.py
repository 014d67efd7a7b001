"""Tiers from amount paid (or paid orders) in the window, checked against a computation in the
test itself; thresholds are inclusive, refunds and unpaid orders do not count, and a tier
never goes down unless a downgrade is asked for."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from membership_support import NOW, ago
from shopcrm.models import Customer, CustomerLabel, Order, Shop
from shopcrm.registry import get_registry
from shopcrm_membership.rules import DEFAULT_TIERS
from shopcrm_membership.tiers import TierSegmenter

PAID = {"paid", "shipped", "signed", "completed"}

ORDERS = {  # nick: [(status, paid, refund, days ago)]
    "no_order": [],
    "unpaid": [("pending_payment", "800", "0", 3)],
    "just_bronze": [("paid", "500.00", "0", 10)],
    "almost_bronze": [("completed", "499.99", "0", 10)],
    "refunded": [("refunded", "3000", "3000", 20)],
    "partly_refunded": [("completed", "2500", "600", 30)],
    "outside_window": [("completed", "30000", "0", 400), ("shipped", "100", "0", 5)],
    "window_edge": [("completed", "2000", "0", 364)],
    "gold_in_two": [("signed", "3000", "0", 100), ("completed", "2000", "0", 200)],
    "diamond": [("paid", "20000", "0", 1)],
    "closed": [("closed", "6000", "0", 2), ("paid", "1", "0", 2)],
}


def expected_tiers(window_days: int = 365, basis: str = "amount",
                   tiers: tuple[tuple[str, int], ...] = DEFAULT_TIERS, now: dt.datetime = NOW) -> dict[str, str]:
    """The tiers, worked out here in Python from ORDERS, independently of the SQL."""
    since = now - dt.timedelta(days=window_days)
    result = {}
    for nick, orders in ORDERS.items():
        counted = [(Decimal(paid) - Decimal(refund)) for status, paid, refund, days in orders
                   if status in PAID and ago(days) >= since]
        measure = sum(counted, Decimal(0)) if basis == "amount" else len(counted)
        result[nick] = [name for name, threshold in tiers if measure >= threshold][-1]
    return result


@pytest.fixture
def shop(session):
    shop = Shop(name="等级店")
    session.add(shop)
    session.flush()
    number = 0
    for nick, orders in ORDERS.items():
        customer = Customer(shop_id=shop.id, platform_id=nick)
        session.add(customer)
        session.flush()
        for status, paid, refund, days in orders:
            number += 1
            session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{number}",
                              status=status, paid_amount=Decimal(paid), refund_amount=Decimal(refund),
                              created_at=ago(days), paid_at=ago(days)))
    session.commit()
    return shop


def tiers(session) -> dict[str, str]:
    return dict(session.execute(select(Customer.platform_id, CustomerLabel.value)
                                .join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
                                .where(CustomerLabel.segmenter == "tier")).all())


def test_default_rules_match_an_independent_computation(session, shop):
    assert TierSegmenter().compute(session, shop.id, {}, now=NOW) == len(ORDERS)
    got = tiers(session)
    assert got == expected_tiers()
    # The edges, spelled out: exactly at a threshold reaches it; refunds and unpaid orders don't count.
    assert got["just_bronze"] == "铜牌会员" and got["almost_bronze"] == "普通会员"
    assert got["no_order"] == got["unpaid"] == got["refunded"] == "普通会员"
    assert got["partly_refunded"] == "铜牌会员" and got["gold_in_two"] == "金牌会员"
    assert got["diamond"] == "钻石会员" and got["outside_window"] == "普通会员"


def test_scores_keep_the_measures(session, shop):
    TierSegmenter().compute(session, shop.id, {}, now=NOW)
    scores = session.scalar(select(CustomerLabel.scores).join(Customer, Customer.id == CustomerLabel.customer_id)
                            .where(Customer.platform_id == "gold_in_two"))
    assert float(scores["paid"]) == 5000 and scores["orders"] == 2 and scores["rank"] == 3


def test_orders_basis_and_a_shorter_window(session, shop):
    rules = {"basis": "orders", "window_days": 90,
             "tiers": [{"name": "新会员", "threshold": 0}, {"name": "回头客", "threshold": 2}]}
    TierSegmenter().compute(session, shop.id, rules, now=NOW)
    assert tiers(session) == expected_tiers(90, "orders", (("新会员", 0), ("回头客", 2)))
    assert tiers(session)["closed"] == "新会员"  # the closed order does not count


def test_tiers_do_not_go_down_unless_asked(session, shop):
    segmenter = TierSegmenter()
    segmenter.compute(session, shop.id, {}, now=NOW)
    later = NOW + dt.timedelta(days=400)  # every order has left the window by then
    segmenter.compute(session, shop.id, {}, now=later)
    assert tiers(session) == expected_tiers()
    segmenter.compute(session, shop.id, {}, now=later, downgrade=True)
    assert tiers(session) == expected_tiers(now=later)
    assert set(tiers(session).values()) == {"普通会员"}


def test_only_the_given_customers_are_labelled(session, shop):
    diamond = session.scalar(select(Customer.id).where(Customer.platform_id == "diamond"))
    assert TierSegmenter().compute(session, shop.id, {}, customer_ids=[diamond], now=NOW) == 1
    assert tiers(session) == {"diamond": "钻石会员"}


def test_registered_as_the_label_tier(config):
    segmenter = get_registry().segmenters["tier"]
    assert [info.value for info in segmenter.labels()] == [name for name, _ in DEFAULT_TIERS]


def test_segment_rules_can_use_label_tier(session, shop):
    from shopcrm.saved_segments import count_rules

    TierSegmenter().compute(session, shop.id, {}, now=NOW)
    session.commit()
    rule = {"all": [{"field": "label.tier", "op": "in", "value": ["金牌会员", "钻石会员"]}]}
    expected = sum(1 for value in expected_tiers().values() if value in ("金牌会员", "钻石会员"))
    assert count_rules(session, shop.id, rule) == expected == 2
