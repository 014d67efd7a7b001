"""Helpers of the SMS sandbox tests: a fixed 'now' and messages made briefly."""
from __future__ import annotations

import datetime as dt

from shopcrm.channels import OutgoingMessage

NOW = dt.datetime(2026, 11, 22, 12, 0)
"""A fixed 'now' (naive UTC) for the channel's clock."""

NO_LIMITS = {"limit_per_minute": 0, "limit_per_hour": 0, "limit_per_day": 0}


def message(message_id: int, to: str | None = None, text: str = "【测试店】双十一大促，全场五折") -> OutgoingMessage:
    """Message ``message_id``, to a number of its own unless ``to`` is given."""
    return OutgoingMessage(id=message_id, to=to or f"138{message_id:08d}", text=text)
