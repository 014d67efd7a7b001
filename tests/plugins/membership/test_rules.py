"""Tier rules: sensible defaults, saved per shop, and every mistake named with its field."""
from __future__ import annotations

import pytest

from shopcrm_membership.rules import DEFAULTS, RulesError, Tier, check_rules, load_rules, save_rules


def tiers(*rows):
    return [{"name": name, "threshold": threshold} for name, threshold in rows]


def test_defaults():
    rules = check_rules({})
    assert [t.name for t in rules.tiers] == ["普通会员", "铜牌会员", "银牌会员", "金牌会员", "钻石会员"]
    assert rules.tiers[1] == Tier("铜牌会员", 500)
    assert (rules.basis, rules.window_days, rules.downgrade_enabled) == ("amount", 365, False)
    assert (rules.points_per_yuan, rules.points_expiry_months) == (1, 12)


def test_form_text_is_read_and_empty_rows_are_left_out():
    rules = check_rules({"window_days": " 180 ", "points_per_yuan": "2", "points_expiry_months": "0",
                         "tiers": tiers(("普通", "0"), ("", None), ("VIP", "1000"))})
    assert rules.window_days == 180 and rules.points_per_yuan == 2 and rules.points_expiry_months == 0
    assert rules.tiers == (Tier("普通", 0), Tier("VIP", 1000))


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"basis": "visits"}, "basis", "amount paid or number of orders"),
    ({"window_days": "0"}, "window_days", "1 to 3650"),
    ({"window_days": "一年"}, "window_days", "1 to 3650"),
    ({"tiers": tiers(("普通", 100))}, "tier_threshold_1", "starts at 0"),
    ({"tiers": tiers(("普通", 0), ("铜牌", 500), ("银牌", 500))}, "tier_threshold_3", "higher threshold"),
    ({"tiers": tiers(("普通", 0), ("普通", 500))}, "tier_name_2", "name of its own"),
    ({"tiers": tiers(("普通", 0), ("", 500))}, "tier_name_2", "Give the tier a name"),
    ({"tiers": tiers(("普通", 0), ("铜牌", "-5"))}, "tier_threshold_2", "whole number"),
    ({"tiers": tiers(("", None))}, "tier_name_1", "at least one tier"),
    ({"points_per_yuan": "1.5"}, "points_per_yuan", "0 to 100"),
    ({"points_expiry_months": "121"}, "points_expiry_months", r"0 \(never\) to 120"),
])
def test_mistakes_are_named(values, field, message):
    with pytest.raises(RulesError, match=message) as caught:
        check_rules(values)
    assert caught.value.field == field


def test_saved_per_shop(session):
    from shopcrm.models import Shop

    one, two = Shop(name="一号店"), Shop(name="二号店")
    session.add_all([one, two])
    session.flush()
    save_rules(session, one.id, check_rules({"downgrade_enabled": True, "window_days": 90}))
    session.commit()
    assert load_rules(session, one.id).downgrade_enabled is True
    assert load_rules(session, one.id).window_days == 90
    assert load_rules(session, two.id) == check_rules(DEFAULTS)
