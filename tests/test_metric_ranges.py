"""Flags on daily figures outside their recent range: a drop yesterday, a drop today so far,
nothing for ordinary days or for a shop without 28 days of history."""
from __future__ import annotations

import datetime as dt
import math
import statistics
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shopcrm.metric_ranges import direction, flags, recent_range
from shopcrm.models import Customer, Order, Shop

TZ = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 20, 6, 0)  # 14:00 on 20 November in Shanghai
TODAY = dt.date(2026, 11, 20)


def test_the_range_is_the_robust_band_and_the_extremes() -> None:
    history = [10.0, 12.0, 11.0, 9.0, 10.0, 30.0, 11.0]
    found = recent_range(history)
    assert found.median == 11.0 and (found.lowest, found.highest) == (9.0, 30.0)
    logs = [math.log1p(value) for value in history]  # the band is on log(1 + value)
    centre = sorted(logs)[3]
    mad = sorted(abs(value - centre) for value in logs)[3]
    assert found.low == pytest.approx(math.expm1(centre - 3 * 1.4826 * mad))
    assert found.high == pytest.approx(math.expm1(centre + 3 * 1.4826 * mad))
    assert direction(2.0, history) == "low"
    assert direction(8.0, history) is None      # below the band but seen lately
    assert direction(31.0, history) == "high"
    assert direction(20.0, history) is None     # above the band, but 30 was seen
    assert direction(1.0, [0.0] * 28) == "high" and direction(0.0, [0.0] * 28) is None


def test_a_day_without_sales_is_low_even_in_a_month_with_a_peak() -> None:
    month = [6_000.0, 9_000.0, 12_000.0, 18_000.0, 25_000.0] * 5 + [65_000.0, 48_000.0, 30_000.0]  # Double 11
    spread = statistics.median(abs(value - statistics.median(month)) for value in month) * 3 * 1.4826
    assert statistics.median(month) - spread < 0  # a band in plain yuan would take in a day of nothing
    assert direction(0.0, month) == "low"
    assert direction(5_000.0, month) is None  # a slow day is no alarm


class Shop28:
    """A shop with steady sales for weeks: five customers paying 100 each every day at 10:00."""

    def __init__(self, session: Session, days: int = 40) -> None:
        self.session = session
        self.shop = Shop(name="稳定店", timezone=TZ)
        session.add(self.shop)
        session.flush()
        self.customers = [Customer(shop_id=self.shop.id, platform_id=f"c{i}") for i in range(5)]
        session.add_all(self.customers)
        session.flush()
        self.n = 0
        for offset in range(days, 0, -1):
            self.day(TODAY - dt.timedelta(days=offset), buyers=5 if offset % 7 else 4)

    def day(self, day: dt.date, buyers: int, amount: str = "100", hour: int = 10) -> None:
        for customer in self.customers[:buyers]:
            self.n += 1
            at = dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=8)
            self.session.add(Order(shop_id=self.shop.id, customer_id=customer.id, platform_order_id=f"o{self.n}",
                                   status="completed", paid_amount=Decimal(amount), total_amount=Decimal(amount),
                                   created_at=at, paid_at=at))


def test_ordinary_days_are_not_flagged(session: Session) -> None:
    steady = Shop28(session)
    steady.day(TODAY, buyers=5)
    session.commit()
    assert flags(session, steady.shop.id, TZ, now=NOW) == []


def test_a_drop_yesterday_is_flagged(session: Session) -> None:
    steady = Shop28(session, days=40)
    # Rebuild yesterday as a bad day: one order of 30 instead of five of 100.
    session.query(Order).filter(Order.paid_at >= dt.datetime(2026, 11, 18, 16)).delete()
    steady.day(TODAY - dt.timedelta(days=1), buyers=1, amount="30")
    steady.day(TODAY, buyers=5)
    session.commit()
    found = {(f.metric, f.partial): f for f in flags(session, steady.shop.id, TZ, now=NOW)}
    assert set(found) == {("sales", False), ("orders", False), ("paying_customers", False)}
    sales = found[("sales", False)]
    assert (sales.day, sales.direction, sales.value) == (TODAY - dt.timedelta(days=1), "low", 30.0)
    assert sales.range.median == 500.0 and sales.range.lowest == 400.0


def test_nothing_sold_today_by_the_afternoon_is_flagged(session: Session) -> None:
    steady = Shop28(session)
    session.commit()  # no order today, though every earlier day had some by 10:00
    found = flags(session, steady.shop.id, TZ, now=NOW)
    assert {(f.metric, f.partial, f.direction) for f in found} == {
        ("sales", True, "low"), ("orders", True, "low"), ("paying_customers", True, "low")}
    assert all(f.day == TODAY and f.value == 0 for f in found)


def test_today_is_compared_with_the_same_hours(session: Session) -> None:
    steady = Shop28(session)
    session.commit()
    # At 09:00 nothing has been sold on any day yet: no flag, though whole days sold 500.
    morning = dt.datetime(2026, 11, 20, 1, 0)
    assert flags(session, steady.shop.id, TZ, now=morning) == []


def test_a_young_shop_has_no_range(session: Session) -> None:
    steady = Shop28(session, days=20)
    session.commit()
    assert flags(session, steady.shop.id, TZ, now=NOW) == []
    empty = Shop(name="空店", timezone=TZ)
    session.add(empty)
    session.commit()
    assert flags(session, empty.id, TZ, now=NOW) == []
