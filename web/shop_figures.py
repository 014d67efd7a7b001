"""The figures the dashboard shows, each counted in SQL (one aggregate query per table).

Orders per day are counted by the shop's calendar day (its time zone, since timestamps are
stored as naive UTC): the day boundaries are computed here and the counting is one query with
a filtered count per day, so it works the same on SQLite and PostgreSQL and uses the
``(shop_id, created_at)`` index.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, Message, Order, Shop

RECENT_DAYS = 30
SENT_STATUSES = ("sent", "delivered")


@dataclass(slots=True, frozen=True)
class ShopFigures:
    customers: int
    reachable_customers: int
    orders: int
    recent_orders: int
    messages: int
    sent_messages: int


@dataclass(slots=True, frozen=True)
class DailyCount:
    day: dt.date
    count: int


def shop_figures(session: Session, shop: Shop, now: dt.datetime | None = None) -> ShopFigures:
    """Counts of ``shop``'s customers, orders and messages."""
    since = (now or utcnow()) - dt.timedelta(days=RECENT_DAYS)
    customers, reachable = session.execute(
        select(func.count(), func.count().filter(Customer.sms_reachable.is_(True)))
        .where(Customer.shop_id == shop.id)
    ).one()
    orders, recent = session.execute(
        select(func.count(), func.count().filter(Order.created_at >= since))
        .where(Order.shop_id == shop.id)
    ).one()
    messages, sent = session.execute(
        select(func.count(), func.count().filter(Message.status.in_(SENT_STATUSES)))
        .where(Message.shop_id == shop.id)
    ).one()
    return ShopFigures(customers, reachable, orders, recent, messages, sent)


def day_bounds(timezone: str, days: int, now: dt.datetime | None = None) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """The last ``days`` calendar days in ``timezone`` (today last), each with its start and
    end as naive UTC datetimes."""
    zone = ZoneInfo(timezone)
    current = (now or utcnow()).replace(tzinfo=dt.UTC).astimezone(zone)
    today = current.date()
    bounds = []
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        start = dt.datetime.combine(day, dt.time(), zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        bounds.append((day, _naive_utc(start), _naive_utc(end)))
    return bounds


def orders_per_day(session: Session, shop: Shop, days: int = RECENT_DAYS,
                   now: dt.datetime | None = None) -> list[DailyCount]:
    """How many orders ``shop`` received on each of the last ``days`` days (its calendar)."""
    bounds = day_bounds(shop.timezone, days, now)
    counts = [
        func.count().filter(and_(Order.created_at >= start, Order.created_at < end))
        for _day, start, end in bounds
    ]
    row = session.execute(
        select(*counts).where(
            Order.shop_id == shop.id,
            Order.created_at >= bounds[0][1],
            Order.created_at < bounds[-1][2],
        )
    ).one()
    return [DailyCount(day, int(count)) for (day, _s, _e), count in zip(bounds, row)]


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
