"""Helpers of the membership tests: a fixed 'now', and customers and orders by their shop ids."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Order

NOW = dt.datetime(2026, 11, 22, 12, 0)
"""A fixed 'now' (naive UTC) for computations that take one."""


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def customer_id(session: Session, nick: str) -> int:
    found = session.scalar(select(Customer.id).where(Customer.platform_id == nick))
    assert found is not None, nick
    return found


def order_id(session: Session, platform_order_id: str) -> int:
    found = session.scalar(select(Order.id).where(Order.platform_order_id == platform_order_id))
    assert found is not None, platform_order_id
    return found
