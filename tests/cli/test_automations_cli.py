"""`shopcrm automations`: list every trigger, switch one on with its delay, channel and template,
switch it off, set the alert phone; mistakes name the field."""
from __future__ import annotations

import json

from click.testing import CliRunner, Result

from shopcrm.cli import build_cli
from shopcrm.db import session_scope
from shopcrm.shop_alerts import alert_phone
from shopcrm.shops import default_shop


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == code, result.output
    return result


def listed(config) -> dict[str, dict]:
    return {a["trigger"]: a for a in json.loads(run("automations", "list", "--json").output)}


def test_list_shows_every_trigger_switched_off_with_its_defaults(config) -> None:
    found = listed(config)
    assert {"unpaid_reminder", "paid_thanks", "birthday", "bad_review"} <= set(found)
    unpaid = found["unpaid_reminder"]
    assert (unpaid["enabled"], unpaid["delay"], unpaid["plugin"], unpaid["channel"]) == (False, "30m", "lifecycle", None)
    assert unpaid["template_text"].startswith("亲，您在${shop}")
    assert found["repurchase"]["options"] == {"night": "defer", "fresh_hours": 24, "days": 30}
    text = run("automations", "list").output
    assert "off unpaid_reminder" in text and "30m" in text


def test_enable_with_delay_channel_template_and_options_then_disable(config) -> None:
    out = run("automations", "enable", "unpaid_reminder", "--delay", "45m", "--channel", "sms_mock",
              "--template-text", "亲，${order_id}还没付款哦", "--night", "send").output
    assert "unpaid_reminder is on: 45m after the event, on sms_mock" in out
    run("automations", "enable", "repurchase", "--channel", "sms_mock", "--option", "days=60")
    found = listed(config)
    unpaid = found["unpaid_reminder"]
    assert (unpaid["enabled"], unpaid["delay_seconds"], unpaid["template_text"]) == (True, 2700, "亲，${order_id}还没付款哦")
    assert unpaid["options"]["night"] == "send" and unpaid["enabled_at"]
    assert found["repurchase"]["options"]["days"] == 60
    run("automations", "enable", "unpaid_reminder", "--delay", "1h")  # a change keeps the rest and the switch-on time
    again = listed(config)["unpaid_reminder"]
    assert (again["delay"], again["channel"], again["enabled_at"]) == ("1h", "sms_mock", unpaid["enabled_at"])
    assert "unpaid_reminder is off" in run("automations", "disable", "unpaid_reminder").output
    assert listed(config)["unpaid_reminder"]["enabled"] is False


def test_enable_sets_and_clears_the_subject_of_emails(config) -> None:
    run("automations", "enable", "shipped", "--channel", "email_smtp", "--subject", "${nickname}，您的订单已发货")
    assert listed(config)["shipped"]["subject"] == "${nickname}，您的订单已发货"
    run("automations", "enable", "shipped", "--delay", "1h")  # not given: kept
    assert listed(config)["shipped"]["subject"] == "${nickname}，您的订单已发货"
    assert "subject: unknown variable(s): ${coupon}" in run("automations", "enable", "shipped", "--subject",
                                                            "${coupon}", code=1).output
    run("automations", "enable", "shipped", "--subject", "")
    assert listed(config)["shipped"]["subject"] == ""


def test_mistakes_name_the_field(config) -> None:
    assert "no trigger named 'nope'" in run("automations", "enable", "nope", "--channel", "sms_mock", code=1).output
    assert "channel: give the channel" in run("automations", "enable", "shipped", code=1).output
    assert "channel: no channel named 'fax'" in run("automations", "enable", "shipped", "--channel", "fax",
                                                     code=1).output
    assert "--delay" in run("automations", "enable", "shipped", "--channel", "sms_mock", "--delay", "soon",
                            code=2).output
    assert "template_text: unknown variable(s): ${coupon}" in run(
        "automations", "enable", "shipped", "--channel", "sms_mock", "--template-text", "送你${coupon}", code=1).output
    assert "days: 'many' is not a whole number" in run("automations", "enable", "repurchase", "--channel",
                                                       "sms_mock", "--option", "days=many", code=1).output
    assert "colour: not an option of shipped" in run("automations", "enable", "shipped", "--channel", "sms_mock",
                                                     "--option", "colour=red", code=1).output
    assert "delay: must be from 0 to 30 days" in run("automations", "enable", "shipped", "--channel", "sms_mock",
                                                     "--delay", "31d", code=1).output
    assert "no trigger named 'nope'" in run("automations", "disable", "nope", code=1).output
    assert listed(config)["shipped"]["enabled"] is False  # nothing was saved


def test_alert_phone_is_shown_set_and_cleared(config) -> None:
    assert "no alert phone set" in run("automations", "alert-phone").output
    assert "alert phone: 13900001111" in run("automations", "alert-phone", "+86 139-0000-1111").output
    with session_scope(config) as session:
        assert alert_phone(session, default_shop(session).id) == "13900001111"
    assert "not a valid mainland mobile" in run("automations", "alert-phone", "12345", code=2).output
    assert "alert phone cleared" in run("automations", "alert-phone", "--clear").output
