"""Fixtures for the membership plugin: a shop, orders fed through ingestion (so the order
events fire as they do for an import), and the web app with users by role."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "web"))

from shopcrm.accounts import create_user  # noqa: E402
from shopcrm.config import Config  # noqa: E402
from shopcrm.db import session_factory, utcnow  # noqa: E402
from shopcrm.ingest import Ingestor  # noqa: E402
from shopcrm.models import Customer, Shop, User  # noqa: E402
from shopcrm.sources import CustomerRecord, OrderRecord, OrderStatus  # noqa: E402
from shopcrm.web import create_app  # noqa: E402
from shopcrm_membership.events import FRESH  # noqa: E402
from shopcrm_membership.tiers import TierSegmenter  # noqa: E402
from membership_support import NOW, ago, customer_id, order_id  # noqa: E402,F401
from web_support import PASSWORD, login  # noqa: E402


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


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    app = create_app(config)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    def make(username: str, role: str = "viewer", locale: str = "zh_CN") -> User:
        user = create_user(session, username, PASSWORD, role=role, locale=locale)
        session.commit()
        return user

    return make


@pytest.fixture
def login_as(app: Flask) -> Callable[[User], FlaskClient]:
    def make(user: User) -> FlaskClient:
        client = app.test_client()
        response = login(client, user.username, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
