"""Rules as pages receive them: JSON text checked by the core, and the customer list's filters
turned into rules that select the same customers."""
from __future__ import annotations

import pytest

from shopcrm.customer_search import Filters, search
from shopcrm.db import get_engine
from shopcrm.demo_data import generate
from shopcrm.saved_segments import count_rules
from shopcrm.segment_rules import RuleError
from shopcrm.shops import default_shop
from shopcrm.web.rules_input import parse_rules, rules_from_filters


@pytest.mark.parametrize(("text", "message"), [
    ("", "no rules"),
    ('{"all": [', "not valid JSON (Expecting value at line 1, column 10)"),
    ('{"all": [{"field": "city", "op": "=", "value": ""}]}', "all[0].value: expected some text"),
    ("x" * 20_001, "longer than 20000 characters"),
])
def test_bad_text_is_a_rule_error_that_says_what(config, text, message):
    with pytest.raises(RuleError) as caught:
        parse_rules(text)
    assert message in str(caught.value)


def test_good_text_comes_back_as_rules(config):
    assert parse_rules(' {"any": [{"field": "tag", "op": "=", "value": "vip"}]} ') == {
        "any": [{"field": "tag", "op": "=", "value": "vip"}]}


@pytest.mark.parametrize("filters", [
    Filters(),
    Filters(province="广东省"),
    Filters(min_orders=2, max_orders=4),
    Filters(bought_within_days=90, reachable=True),
    Filters(province="浙江省", min_orders=1, reachable=False),
])
def test_the_list_filters_as_rules_select_the_same_customers(config, session, filters):
    shop_id = default_shop(session).id
    session.commit()
    generate(get_engine(config), shop_id, customers=150, orders=400, seed=5)
    listed = search(session, shop_id, "", filters, limit=1000).rows
    assert count_rules(session, shop_id, rules_from_filters(filters)) == len(listed)
