"""Daily figures outside their recent range, so an operator notices a drop the day it happens.

Three daily figures are watched: sales, paid orders and paying customers
(:func:`shopcrm.shop_metrics.daily`). Two days are checked against the 28 days before each:

* the **latest complete day** (yesterday, shop time), against the 28 whole days before it;
* **today so far**, against the same hours of each of the 28 days before (00:00 up to the
  current time of day), so a morning is never compared with whole days and nothing is pro-rated.

A value is flagged when it lies outside the robust band ``median ± 3 × 1.4826 × MAD`` of those
28 values (MAD: the median absolute deviation; 1.4826 × MAD estimates the standard deviation
without letting one odd day widen it) **and** outside everything seen in them (below the
lowest or above the highest). The band is taken on ``log(1 + value)``: a shop's days vary by a
share of their size, not by a fixed amount, so a month with a Double 11 in it widens the band in
proportion and a day of no sales at all still falls below it. Both are required so that a shop whose days are all alike (a MAD
of 0) is not flagged for an ordinary small change, and a value the shop has seen lately is never
called unusual. A shop whose first order is less than 28 days before the day checked has no
range yet, and nothing is flagged.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Order
from shopcrm.report_period import local_day, local_today
from shopcrm.shop_metrics import DayFigures, daily

HISTORY_DAYS = 28
METRICS = ("sales", "orders", "paying_customers")
"""The :class:`~shopcrm.shop_metrics.DayFigures` fields that are watched."""
SPREAD = 3.0
MAD_SCALE = 1.4826


@dataclass(slots=True, frozen=True)
class Range:
    """What the 28 days before looked like for one figure."""

    median: float
    low: float
    """The band's lower edge, ``median - 3 × 1.4826 × MAD`` (may be below 0)."""
    high: float
    lowest: float
    highest: float


@dataclass(slots=True, frozen=True)
class Flag:
    """One figure on one day outside its recent range."""

    metric: str
    """One of :data:`METRICS`."""
    day: dt.date
    partial: bool
    """Today so far (compared with the same hours of earlier days) rather than a whole day."""
    value: float
    direction: str
    """``low`` or ``high``."""
    range: Range


def recent_range(history: Sequence[float]) -> Range:
    """The band and extremes of ``history`` (at least one value, none negative); the band is
    worked out on ``log(1 + value)`` and given back in the figure's own units."""
    logs = [math.log1p(value) for value in history]
    centre = statistics.median(logs)
    spread = SPREAD * MAD_SCALE * statistics.median(abs(value - centre) for value in logs)
    return Range(statistics.median(history), math.expm1(centre - spread), math.expm1(centre + spread),
                 min(history), max(history))


def direction(value: float, history: Sequence[float]) -> str | None:
    """``low`` or ``high`` when ``value`` is outside ``history``'s recent range, else ``None``."""
    found = recent_range(history)
    if value < found.low and value < found.lowest:
        return "low"
    if value > found.high and value > found.highest:
        return "high"
    return None


def _value(day: DayFigures, metric: str) -> float:
    value = getattr(day, metric)
    return float(value) if isinstance(value, Decimal) else float(value)


def _flags(days: list[DayFigures], partial: bool) -> list[Flag]:
    *history, checked = days
    found = []
    for metric in METRICS:
        values = [_value(day, metric) for day in history]
        value = _value(checked, metric)
        way = direction(value, values)
        if way is not None:
            found.append(Flag(metric, checked.day, partial, value, way, recent_range(values)))
    return found


def _bounds(timezone: str, last: dt.date, cut: dt.timedelta | None) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    bounds = []
    for offset in range(HISTORY_DAYS, -1, -1):
        day = last - dt.timedelta(days=offset)
        start, end = local_day(timezone, day)
        bounds.append((day, start, end if cut is None else min(end, start + cut)))
    return bounds


def flags(session: Session, shop_id: int, timezone: str, now: dt.datetime | None = None) -> list[Flag]:
    """The watched figures of yesterday and of today so far that are outside their recent
    range (three queries: the shop's first order, then the two runs of days)."""
    now = now or utcnow()
    today = local_today(timezone, now)
    yesterday = today - dt.timedelta(days=1)
    first_order = session.scalar(select(func.min(Order.created_at)).where(Order.shop_id == shop_id))
    found: list[Flag] = []
    if first_order is None:
        return found
    full = _bounds(timezone, yesterday, None)
    if first_order < full[0][1]:
        found += _flags(daily(session, shop_id, full), partial=False)
    today_start, _ = local_day(timezone, today)
    so_far = _bounds(timezone, today, now - today_start)
    if first_order < so_far[0][1]:
        found += _flags(daily(session, shop_id, so_far), partial=True)
    return found


__all__ = ["HISTORY_DAYS", "METRICS", "Flag", "Range", "direction", "flags", "recent_range"]
