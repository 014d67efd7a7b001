"""Test support for automations: a shop whose orders go through ingestion, events built from
its stored orders, and automations switched on at a chosen moment."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from shopcrm import sending_policy
from shopcrm.automation_store import enable
from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope
from shopcrm.durations import parse_duration
from shopcrm.ingest import Ingestor
from shopcrm.models import Automation, Message, Order, Shop
from shopcrm.sources import CustomerRecord, OrderEvent, OrderItemRecord, OrderRecord, OrderStatus
from shopcrm_sms_mock import behaviour

T0 = dt.datetime(2026, 11, 20, 4, 0)
"""Noon in Shanghai (naive UTC): outside the quiet hours."""
NIGHT = dt.datetime(2026, 11, 20, 14, 0)
"""22:00 in Shanghai."""
SHOP_OFFSET = dt.timedelta(hours=8)


def make_care_shop(config: Config, quiet: bool = False, name: str = "关怀店") -> int:
    """A shop signed 小店; without ``quiet`` it has no quiet hours. The sandbox accepts everything."""
    with session_scope(config) as session:
        shop = Shop(name=name, sms_signature="小店")
        session.add(shop)
        session.flush()
        if not quiet:
            sending_policy.save(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
        behaviour.save(session, behaviour.parse({"delay_seconds": 0, "limit_per_minute": 0, "limit_per_hour": 0,
                                                 "limit_per_day": 0}))
        return shop.id


def record(oid: str, status: OrderStatus, created: dt.datetime = T0, nick: str = "buyer1",
           mobile: str | None = "13800000001", **times: Any) -> OrderRecord:
    """An order of one item (连衣裙, 128 yuan); times are naive UTC, given to ingestion in shop time."""
    local = {name: (value + SHOP_OFFSET if value else None) for name, value in times.items()}
    return OrderRecord(platform_order_id=oid, status=status, customer=CustomerRecord(platform_id=nick, mobile=mobile),
                       total_amount=Decimal("128"), paid_amount=Decimal("128") if status != OrderStatus.PENDING_PAYMENT
                       else Decimal("0"), created_at=created + SHOP_OFFSET,
                       items=[OrderItemRecord("连衣裙", 1, Decimal("128"))], **local)


def ingest(config: Config, shop_id: int, *records: OrderRecord) -> None:
    Ingestor(get_engine(config), shop_id).feed(list(records))


def event(config: Config, oid: str, kind: str, previous: OrderStatus | None, at: dt.datetime,
          status: OrderStatus | None = None) -> OrderEvent:
    """The event of stored order ``oid`` (its status now, unless ``status`` is given)."""
    with session_scope(config) as session:
        order = session.scalar(select(Order).where(Order.platform_order_id == oid))
        assert order is not None
        return OrderEvent(kind=kind, shop_id=order.shop_id, order_id=order.id, customer_id=order.customer_id,
                          status=status or OrderStatus(order.status), previous_status=previous, occurred_at=at)


def switch_on(config: Config, shop_id: int, name: str, delay: str | None = None, at: dt.datetime = T0
              - dt.timedelta(hours=1), channel: str = "sms_mock", **options: Any) -> int:
    with session_scope(config) as session:
        made = enable(session, shop_id, name, delay=parse_duration(delay) if delay else None, channel=channel,
                      options=options, now=at)
        assert made.automation_id is not None
        return made.automation_id


def messages(config: Config, trigger: str | None = None) -> list[Message]:
    with session_scope(config) as session:
        query = select(Message).join(Automation, Automation.id == Message.automation_id).order_by(Message.id)
        if trigger is not None:
            query = query.where(Automation.trigger == trigger)
        return list(session.scalars(query))
