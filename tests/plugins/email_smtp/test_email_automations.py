"""A care message through the email channel: addressed to the customer's email, the text as
written (no SMS signature), sent with the automation's subject filled for the customer and order,
or the channel's default subject when it has none; a customer without an address is left out as
``invalid_email``. The subject is checked like the text when the automation is saved."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from shopcrm import channel_settings, outbox
from shopcrm.automation_store import AutomationError, enable, state
from shopcrm.automations import fire
from shopcrm.db import session_scope
from shopcrm.sources import CustomerRecord, OrderStatus
from automation_support import T0, event, ingest, make_care_shop, messages, record, switch_on
from email_smtp_support import settings_for

MINUTE = dt.timedelta(minutes=1)


def _with_email(oid: str, nick: str, address: str | None):
    order = record(oid, OrderStatus.PENDING_PAYMENT, nick=nick, mobile=None)
    return dataclasses.replace(order, customer=CustomerRecord(platform_id=nick, email=address))


def _emailing_shop(config, smtp_server) -> int:
    """A care shop whose unpaid reminder goes by email (default subject 关怀店提醒您)."""
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        assert channel_settings.save(session, config, "email_smtp", shop_id,
                                     settings_for(smtp_server, default_subject="关怀店提醒您")) == []
    switch_on(config, shop_id, "unpaid_reminder", channel="email_smtp")
    return shop_id


def test_an_automation_emails_the_customer_without_the_sms_signature(config, smtp_server, handler) -> None:
    shop_id = _emailing_shop(config, smtp_server)
    ingest(config, shop_id, _with_email("A1", "buyer1", "Buyer1@Example.com"), _with_email("A2", "buyer2", None))
    for oid in ("A1", "A2"):
        fire(config, event(config, oid, "order.created", None, T0), now=T0 + MINUTE)
    first, second = messages(config)
    assert (first.to, first.status) == ("buyer1@example.com", "pending")
    assert "【小店】" not in first.text and first.text.startswith("亲，您在关怀店拍下的连衣裙还没有付款哦")
    assert (second.status, second.skip_reason) == ("skipped", "invalid_email")

    assert outbox.send_due(config, now=T0 + 31 * MINUTE).sent == 1
    [mail] = handler.received
    assert mail.rcpt_tos == ["buyer1@example.com"] and mail.message["Subject"] == "关怀店提醒您"
    assert mail.body.startswith(first.text) and "/plugins/email_smtp/unsubscribe/" in mail.body


def test_an_automation_emails_with_its_own_subject_filled_for_each_order(config, smtp_server, handler) -> None:
    shop_id = _emailing_shop(config, smtp_server)
    with session_scope(config) as session:
        enable(session, shop_id, "unpaid_reminder", subject="${nickname}，订单${order_id}待付款")
    ingest(config, shop_id, _with_email("A1", "buyer1", "buyer1@example.com"),
           _with_email("A2", "buyer2", "buyer2@example.com"))
    for oid in ("A1", "A2"):
        fire(config, event(config, oid, "order.created", None, T0), now=T0 + MINUTE)
    assert [m.subject for m in messages(config)] == ["buyer1，订单A1待付款", "buyer2，订单A2待付款"]

    assert outbox.send_due(config, now=T0 + 31 * MINUTE).sent == 2
    subjects = {mail.rcpt_tos[0]: mail.message["Subject"] for mail in handler.received}
    assert subjects == {"buyer1@example.com": "buyer1，订单A1待付款", "buyer2@example.com": "buyer2，订单A2待付款"}


def test_an_sms_automation_writes_no_subject(config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder")
    with session_scope(config) as session:
        enable(session, shop_id, "unpaid_reminder", subject="${nickname}的订单")
    ingest(config, shop_id, record("S1", OrderStatus.PENDING_PAYMENT, nick="buyer1"))
    fire(config, event(config, "S1", "order.created", None, T0), now=T0 + MINUTE)
    [message] = messages(config)
    assert message.status == "pending" and message.subject is None


@pytest.mark.parametrize("subject, problem", [("${nobody}的订单", "${nobody}"), ("长" * 201, "at most 200")])
def test_a_subject_with_an_unknown_variable_or_too_long_is_refused(config, subject, problem) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder", channel="email_smtp")
    with session_scope(config) as session:
        with pytest.raises(AutomationError, match=r"^subject: ") as refused:
            enable(session, shop_id, "unpaid_reminder", subject=subject)
        assert problem in str(refused.value)
        assert state(session, shop_id, "unpaid_reminder").subject == ""


def test_a_subject_is_kept_when_not_given_and_cleared_by_an_empty_one(config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "shipped", channel="email_smtp")
    with session_scope(config) as session:
        enable(session, shop_id, "shipped", subject=" ${nickname}，已发货 ")
        assert enable(session, shop_id, "shipped", delay=MINUTE).subject == "${nickname}，已发货"
        assert enable(session, shop_id, "shipped", subject="").subject == ""
