"""How the automations page names events and shows its figures."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable

from flask_babel import format_decimal, format_percent, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shopcrm.automations import DAILY_HOUR

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))

EVENT_LABELS = {
    "order.created": _l("an order is placed"),
    "order.paid": _l("an order is paid"),
    "order.shipped": _l("an order is shipped"),
    "order.arrived": _l("a parcel reaches the buyer's city"),
    "order.signed": _l("a parcel is signed for"),
    "order.completed": _l("receipt is confirmed"),
    "order.closed": _l("an order is closed"),
    "order.refunded": _l("an order is refunded"),
    "review.created": _l("a review is written"),
    "daily": _l("every day"),
}
"""The core's event kinds in words; a plugin's own kinds are shown as they are named."""


def event_label(kind: str) -> str:
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind


def events_text(kinds: Iterable[str]) -> str:
    """``an order is paid or an order is shipped``."""
    return _(" or ").join(event_label(kind) for kind in kinds)


def delay_text(delay: dt.timedelta) -> str:
    """``1 hour 30 minutes`` in the user's language, each unit exact (never rounded up)."""
    seconds = int(delay.total_seconds())
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(format_timedelta(dt.timedelta(seconds=count * size), granularity=unit, threshold=1.0))
    return " ".join(parts) or _("no delay")


def when_text(events: Iterable[str], delay: dt.timedelta) -> str:
    """When a trigger's message goes: ``30 minutes after an order is placed``, ``every day at 10:00``."""
    kinds = list(events)
    if kinds == ["daily"]:
        moment = _("every day at %(hour)s:00 shop time", hour=DAILY_HOUR)
        return _("%(delay)s after %(events)s", delay=delay_text(delay), events=moment) if delay else moment
    if delay:
        return _("%(delay)s after %(events)s", delay=delay_text(delay), events=events_text(kinds))
    return _("As soon as %(events)s", events=events_text(kinds))


def money(value: Decimal | float | int) -> str:
    """``¥1,234.50``."""
    return "¥" + format_decimal(Decimal(str(value)), format="#,##0.00")


def rate(value: float | None) -> str:
    """``12.5%``; a dash without a base."""
    return "—" if value is None else format_percent(value, format="#,##0.0%")


__all__ = ["EVENT_LABELS", "delay_text", "event_label", "events_text", "money", "rate", "when_text"]
