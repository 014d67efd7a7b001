"""What the dashboard's top shows: the period chosen from the request, the period's figures next
to the previous period's, and the flags on daily figures outside their recent range."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shopcrm.metric_ranges import Flag
from shopcrm.report_period import DEFAULT_PRESET, MAX_DAYS, PRESETS, Period, PeriodError, period
from shopcrm.shop_metrics import Summary
from shopcrm.web.campaign_labels import format_figure

PRESET_LABELS = {
    "today": _l("Today"),
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "90d": _l("Last 90 days"),
    "month": _l("This month"),
    "custom": _l("From – to"),
}
assert set(PRESET_LABELS) == set(PRESETS), "every period needs a label"

TILES = (
    ("customers", _l("Customers"), "count", _l("With a paid order before the period's end")),
    ("new_customers", _l("New customers"), "count", _l("First paid order in the period")),
    ("paying_customers", _l("Paying customers"), "count", _l("With a paid order in the period")),
    ("repurchase_rate", _l("Repurchase rate"), "rate", _l("Paying customers with 2+ paid orders in the period")),
    ("aov", _l("Average order value"), "money", _l("Sales per paid order")),
    ("sales", _l("Sales"), "money", _l("Paid orders, less refunds")),
    ("returning_share", _l("Returning customers' share of sales"), "rate",
     _l("Sales from customers who had paid before the period")),
)
"""Each figure: its :class:`~shopcrm.shop_metrics.Summary` attribute, label, kind and meaning."""

FLAG_LABELS = {
    ("sales", "low"): _l("Sales below their recent range"),
    ("sales", "high"): _l("Sales above their recent range"),
    ("orders", "low"): _l("Paid orders below their recent range"),
    ("orders", "high"): _l("Paid orders above their recent range"),
    ("paying_customers", "low"): _l("Paying customers below their recent range"),
    ("paying_customers", "high"): _l("Paying customers above their recent range"),
}
FLAG_KINDS = {"sales": "money", "orders": "count", "paying_customers": "count"}


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def period_error(reason: str) -> str:
    """What is wrong with a period, for the operator."""
    return {
        "unknown": _("Choose one of the periods offered."),
        "missing": _("Give both dates, from and to, as YYYY-MM-DD."),
        "order": _("The first date must not be after the last."),
        "future": _("The period starts after today: choose dates up to today."),
        "too_long": _("A period can be at most %(days)s days long.", days=MAX_DAYS),
    }[reason]


def chosen_period(args: Mapping[str, str], timezone: str) -> tuple[Period, str | None]:
    """The period the request asks for (``period``, with ``from`` and ``to`` for a custom one),
    or the default period and a message saying what was wrong with it."""
    preset = args.get("period") or DEFAULT_PRESET
    try:
        return period(timezone, preset, _date(args.get("from")), _date(args.get("to"))), None
    except PeriodError as error:
        return period(timezone, DEFAULT_PRESET), period_error(error.reason)


@dataclass(slots=True, frozen=True)
class Tile:
    key: str
    label: str
    meaning: str
    value: str
    previous: str
    change: str
    """Against the previous period: a relative change for counts and money, points for rates."""
    direction: str
    """``up``, ``down`` or ``same`` (``same`` too when there is nothing to compare)."""


def _change(now: Any, before: Any, kind: str) -> tuple[str, str]:
    if now is None or before is None:
        return "—", "same"
    delta = float(now) - float(before)
    direction = "up" if delta > 0 else "down" if delta < 0 else "same"
    if kind == "rate":
        return _("%(points)s pts", points=f"{delta * 100:+.1f}"), direction
    if not before:
        return ("—" if not delta else _("new")), direction
    return f"{delta / float(before) * 100:+.1f}%", direction


def tiles(current: Summary, previous: Summary) -> list[Tile]:
    found = []
    for key, label, kind, meaning in TILES:
        now, before = getattr(current, key), getattr(previous, key)
        change, direction = _change(now, before, kind)
        found.append(Tile(key, str(label), str(meaning), format_figure(now, kind), format_figure(before, kind),
                          change, direction))
    return found


@dataclass(slots=True, frozen=True)
class FlagLine:
    metric: str
    direction: str
    title: str
    detail: str


def flag_lines(flags: list[Flag]) -> list[FlagLine]:
    lines = []
    for flag in flags:
        kind = FLAG_KINDS[flag.metric]
        values = {"value": format_figure(flag.value, kind), "median": format_figure(flag.range.median, kind),
                  "lowest": format_figure(flag.range.lowest, kind), "highest": format_figure(flag.range.highest, kind)}
        if flag.partial:
            detail = _("Today so far: %(value)s. The same hours of the last 28 days: median %(median)s, "
                       "from %(lowest)s to %(highest)s.", **values)
        else:
            detail = _("%(day)s: %(value)s. The 28 days before: median %(median)s, from %(lowest)s to %(highest)s.",
                       day=flag.day.isoformat(), **values)
        lines.append(FlagLine(flag.metric, flag.direction, str(FLAG_LABELS[(flag.metric, flag.direction)]), detail))
    return lines


__all__ = ["PRESET_LABELS", "FlagLine", "Tile", "chosen_period", "flag_lines", "period_error", "tiles"]
