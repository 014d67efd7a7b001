"""The periods the dashboard reports on, on the shop's calendar, each with the one before it.

A period is a run of whole calendar days in the shop's time zone: today, the last 7, 30 or 90
days (today included), this month so far, or any days from one date to another. Timestamps are
stored as naive UTC, so a period carries its local midnights converted to naive UTC.

A period that reaches today ends now (``end``), not at tonight's midnight; the period it is
compared with is the same number of days just before it, cut at the same time of day, so "today
so far" is set against "yesterday up to the same hour" and not against a whole day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shopcrm.db import utcnow

PRESETS = ("today", "7d", "30d", "90d", "month", "custom")
"""The periods offered, ``custom`` being any ``first``..``last`` dates."""
DEFAULT_PRESET = "30d"
LAST_DAYS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
MAX_DAYS = 366
"""The longest custom period: its daily chart stays readable and its queries bounded."""


class PeriodError(ValueError):
    """A period that cannot be reported on; ``reason`` is one of ``unknown``, ``missing``,
    ``order`` (first after last), ``future`` (starts after today), ``too_long``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True, frozen=True)
class Window:
    """A span of time as naive UTC, ``start`` included, ``end`` excluded."""

    start: dt.datetime
    end: dt.datetime


@dataclass(slots=True, frozen=True)
class Period:
    preset: str
    first: dt.date
    """The first day, shop time."""
    last: dt.date
    """The last day, shop time (today for a period that reaches it)."""
    timezone: str
    window: Window
    previous: Window
    """The same number of days just before, cut at the same time of day as ``window``."""

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous_first(self) -> dt.date:
        return self.first - dt.timedelta(days=self.days)

    @property
    def previous_last(self) -> dt.date:
        return self.first - dt.timedelta(days=1)

    def day_bounds(self) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
        """Each day of the period with its start and end (naive UTC), the last one cut at the
        period's end."""
        bounds = []
        for offset in range(self.days):
            day = self.first + dt.timedelta(days=offset)
            start, end = local_day(self.timezone, day)
            bounds.append((day, start, min(end, self.window.end)))
        return bounds


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """An aware time as the naive UTC the database stores."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def local_day(timezone: str, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of ``day`` in ``timezone``, as naive UTC."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return naive_utc(start), naive_utc(end)


def local_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date on the shop's calendar."""
    return (now or utcnow()).replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()


def period(timezone: str, preset: str = DEFAULT_PRESET, first: dt.date | None = None,
           last: dt.date | None = None, now: dt.datetime | None = None) -> Period:
    """The period ``preset`` (``first`` and ``last`` for ``custom``) on the shop's calendar
    as of ``now``; :class:`PeriodError` says what is wrong with one that cannot be."""
    now = now or utcnow()
    today = local_today(timezone, now)
    if preset in LAST_DAYS:
        first, last = today - dt.timedelta(days=LAST_DAYS[preset] - 1), today
    elif preset == "month":
        first, last = today.replace(day=1), today
    elif preset == "custom":
        if first is None or last is None:
            raise PeriodError("missing")
        if first > last:
            raise PeriodError("order")
        if first > today:
            raise PeriodError("future")
        last = min(last, today)
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError("too_long")
    else:
        raise PeriodError("unknown")
    start, _ = local_day(timezone, first)
    _, end = local_day(timezone, last)
    end = min(end, now)
    days = (last - first).days + 1
    previous_start, _ = local_day(timezone, first - dt.timedelta(days=days))
    # The previous period lasts as long as this one: whole days, or up to the same hour today.
    previous_end = min(start, previous_start + (end - start))
    return Period(preset, first, last, timezone, Window(start, end), Window(previous_start, previous_end))


__all__ = ["DEFAULT_PRESET", "MAX_DAYS", "PRESETS", "Period", "PeriodError", "Window", "local_day",
           "local_today", "naive_utc", "period"]
