"""Fixtures for the membership plugin: a shop, orders fed through ingestion (so the order
events fire as they do for an import); the web app's fixtures come from tests/plugins/conftest.py."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from membership_support import NOW, ago, customer_id, order_id  # noqa: F401
from shopcrm.db import session_factory, utcnow
from shopcrm.ingest import Ingestor
from shopcrm.models import Customer, Shop
from shopcrm.sources import CustomerRecord, OrderRecord, OrderStatus
from shopcrm_membership.events import FRESH
from shopcrm_membership.tiers import TierSegmenter


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="会员测试店", sms_signature="会员店")
    session.add(shop)
    session.commit()
    return shop


Feed = Callable[..., None]


@pytest.fixture
def feed(engine: Engine, shop: Shop) -> Feed:
    """Ingest one order as an import would: raising the order events, and, for an order of more
    than a day ago (history, which the events leave alone), the tier run the core makes after
    an import for the customers it touched."""

    def ingest(order_id: str, nick: str, status: str, paid: str = "0", refund: str = "0",
               paid_at: dt.datetime | None = None, mobile: str | None = None) -> None:
        when = (paid_at or utcnow() - dt.timedelta(hours=12)).replace(tzinfo=dt.UTC)  # fresh: within a day
        record = OrderRecord(
            platform_order_id=order_id, status=OrderStatus(status),
            customer=CustomerRecord(platform_id=nick, mobile=mobile),
            total_amount=Decimal(paid), paid_amount=Decimal(paid), refund_amount=Decimal(refund),
            created_at=when, paid_at=when if status != "pending_payment" else None,
        )
        Ingestor(engine, shop.id).feed([record])
        if when.replace(tzinfo=None) < utcnow() - FRESH:
            with session_factory(engine, write=True)() as session:
                cid = session.scalar(select(Customer.id).where(Customer.shop_id == shop.id,
                                                               Customer.platform_id == nick))
                TierSegmenter().compute(session, shop.id, {}, customer_ids=[cid])
                session.commit()

    return ingest
