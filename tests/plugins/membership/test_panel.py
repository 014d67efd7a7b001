"""What the customer panel says the next tier needs."""
from __future__ import annotations

from decimal import Decimal

from shopcrm_membership.panel import next_tier
from shopcrm_membership.rules import check_rules


def test_the_gap_to_the_next_tier_by_amount():
    rules = check_rules({})
    assert next_tier(rules, "铜牌会员", {"paid": 600.5, "orders": 1}) == ("银牌会员", Decimal("1399.5"))
    assert next_tier(rules, "普通会员", {}) == ("铜牌会员", Decimal(500))


def test_the_gap_by_orders_and_none_above_the_top():
    rules = check_rules({"basis": "orders", "tiers": [{"name": "新客", "threshold": 0},
                                                      {"name": "熟客", "threshold": 3}]})
    assert next_tier(rules, "新客", {"paid": 900, "orders": 2}) == ("熟客", Decimal(1))
    assert next_tier(rules, "熟客", {"orders": 7}) is None
    assert next_tier(rules, "旧名字", {"orders": 7}) is None  # a tier of earlier rules
    assert next_tier(rules, None, {}) is None
