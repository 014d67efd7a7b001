"""Delivery receipts a channel reports move the outbox messages they are about, once."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shopcrm import campaigns, outbox
from shopcrm.channels import MessageEvent
from shopcrm.db import session_scope, utcnow
from shopcrm.jobs import enqueue
from shopcrm.models import Message
from shopcrm.plugins import call_each
from shopcrm_sms_mock import behaviour
from shopcrm_sms_mock.jobs import RECEIPTS
from sending_support import EVERYONE, make_shop, mobiles


def test_the_sandbox_receipts_reach_the_outbox(config) -> None:
    with session_scope(config) as session:
        shop_id, _ = make_shop(session, mobiles(6))
        behaviour.save(session, behaviour.parse({"delay_seconds": 0, "failed_percent": 50}))
        campaign_id = campaigns.create(session, shop_id, "回执", "sms_mock", "${nickname}你好", rules=EVERYONE).id
    now = utcnow()
    campaigns.begin(config, campaign_id, now)
    assert outbox.send_due(config, now=now).sent == 6
    enqueue(RECEIPTS, config, wait=True)
    with session_scope(config) as session:
        statuses = session.execute(select(Message.status, Message.error_code, Message.delivered_at)
                                   .where(Message.campaign_id == campaign_id)).all()
    assert {s for s, _, _ in statuses} == {"delivered", "failed"}  # half fail by the sandbox's draw
    assert all(code == "UNDELIV" for s, code, _ in statuses if s == "failed")
    assert all(at is not None for s, _, at in statuses if s == "delivered")


def test_a_receipt_reported_twice_changes_nothing_more(config) -> None:
    with session_scope(config) as session:
        shop_id, _ = make_shop(session, mobiles(1))
        campaign_id = campaigns.create(session, shop_id, "回执", "sms_mock", "你好", rules=EVERYONE).id
    now = utcnow()
    campaigns.begin(config, campaign_id, now)
    outbox.send_due(config, now=now)
    with session_scope(config) as session:
        message = session.scalar(select(Message).where(Message.campaign_id == campaign_id))
    delivered = MessageEvent("delivered", "sms_mock", gateway_id=message.gateway_id, mobile=message.to,
                             occurred_at=now + dt.timedelta(seconds=3))
    list(call_each("on_message_event", event=delivered))
    late_failure = MessageEvent("failed", "sms_mock", message_id=message.id, error_code="LATE")
    list(call_each("on_message_event", event=late_failure))
    with session_scope(config) as session:
        stored = session.get(Message, message.id)
        assert (stored.status, stored.delivered_at, stored.error_code) == ("delivered", now + dt.timedelta(seconds=3),
                                                                           None)
