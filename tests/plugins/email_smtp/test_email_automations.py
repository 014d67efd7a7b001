"""A care message through the email channel: addressed to the customer's email, the text as
written (no SMS signature), sent with the channel's default subject; a customer without an
address is left out as ``invalid_email``."""
from __future__ import annotations

import dataclasses
import datetime as dt

from shopcrm import channel_settings, outbox
from shopcrm.automations import fire
from shopcrm.db import session_scope
from shopcrm.sources import CustomerRecord, OrderStatus
from automation_support import T0, event, ingest, make_care_shop, messages, record, switch_on
from email_smtp_support import settings_for

MINUTE = dt.timedelta(minutes=1)


def _with_email(oid: str, nick: str, address: str | None):
    order = record(oid, OrderStatus.PENDING_PAYMENT, nick=nick, mobile=None)
    return dataclasses.replace(order, customer=CustomerRecord(platform_id=nick, email=address))


def test_an_automation_emails_the_customer_without_the_sms_signature(config, smtp_server, handler) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        assert channel_settings.save(session, config, "email_smtp", shop_id,
                                     settings_for(smtp_server, default_subject="关怀店提醒您")) == []
    switch_on(config, shop_id, "unpaid_reminder", channel="email_smtp")
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
