"""Switching triggers on and off per shop: what is saved, what is checked, when it counts from."""
from __future__ import annotations

import datetime as dt

import pytest

from shopcrm.automation_store import AutomationError, disable, enable, state, states
from shopcrm.db import session_scope
from shopcrm.registry import get_registry
from shopcrm.shop_alerts import alert_phone, set_alert_phone
from automation_support import T0, make_care_shop


def test_every_registered_trigger_is_listed_with_its_defaults_until_switched_on(config) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        found = {s.trigger: s for s in states(session, shop_id)}
    assert set(found) == set(get_registry().triggers.items)
    soft = found["unpaid_reminder_soft"]
    assert (soft.enabled, soft.enabled_at, soft.delay, soft.channel, soft.automation_id) == (
        False, None, dt.timedelta(hours=6), None, None)
    assert soft.template_text == soft.default_template and soft.options == {"night": "defer", "fresh_hours": 24}


def test_switch_on_counts_from_then_and_a_change_keeps_that_moment(config) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        first = enable(session, shop_id, "shipped", channel="sms_mock", now=T0)
        changed = enable(session, shop_id, "shipped", delay=dt.timedelta(minutes=5), now=T0 + dt.timedelta(hours=1))
        assert (first.enabled_at, changed.enabled_at, changed.delay) == (T0, T0, dt.timedelta(minutes=5))
        disable(session, shop_id, "shipped")
        again = enable(session, shop_id, "shipped", now=T0 + dt.timedelta(hours=2))
        assert again.enabled_at == T0 + dt.timedelta(hours=2) and again.channel == "sms_mock"
        assert state(session, shop_id, "shipped").automation_id == first.automation_id


@pytest.mark.parametrize("kwargs, field", [
    ({"options": {"night": "sometimes"}}, "night: must be one of defer, send"),
    ({"options": {"fresh_hours": "0"}}, "fresh_hours: must be 1 to 168"),
    ({"options": {"fresh_hours": "500"}}, "fresh_hours: must be 1 to 168"),
    ({"delay": dt.timedelta(seconds=-1)}, "delay: must be from 0 to 30 days"),
    ({"template_text": "  "}, "template_text: the template is empty"),
    ({"template_text": "亲${"}, "template_text: a placeholder is not closed"),
])
def test_a_wrong_value_is_refused_naming_its_field_and_nothing_is_saved(config, kwargs, field) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        with pytest.raises(AutomationError, match=field.replace("(", r"\(")):
            enable(session, shop_id, "shipped", channel="sms_mock", **kwargs)
        assert state(session, shop_id, "shipped").enabled is False


def test_a_trigger_reads_its_own_options_as_the_shop_saved_them(config) -> None:
    shop_id = make_care_shop(config)
    repurchase = get_registry().triggers["repurchase"]
    with session_scope(config) as session:
        assert repurchase.options(session, shop_id) == {"days": 30}
        enable(session, shop_id, "repurchase", channel="sms_mock", options={"days": "45", "night": "send"})
        assert repurchase.options(session, shop_id) == {"days": 45}
        assert state(session, shop_id, "repurchase").options == {"night": "send", "fresh_hours": 24, "days": 45}


def test_the_alert_phone_is_normalised_and_checked(config) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        assert alert_phone(session, shop_id) is None
        assert set_alert_phone(session, shop_id, "+86 139-0000-1111") == "13900001111"
        assert alert_phone(session, shop_id) == "13900001111"
        with pytest.raises(ValueError, match="alert_phone: '12345' is not a valid mainland mobile"):
            set_alert_phone(session, shop_id, "12345")
        assert set_alert_phone(session, shop_id, "") is None and alert_phone(session, shop_id) is None
