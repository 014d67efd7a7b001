"""Durations as operators type them: ``30m``, ``6h``, ``2d``, ``90s`` (or a mix: ``1h30m``).

Used for an automation's delay on the command line and the pages; :func:`format_duration` writes
one back in the same form, the largest units first.
"""
from __future__ import annotations

import datetime as dt
import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)\s*([dhms])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[dhms]\s*)+$")


def parse_duration(text: str) -> dt.timedelta:
    """``30m`` -> 30 minutes; a bare number is minutes. :class:`ValueError` saying the form."""
    value = (text or "").strip().lower()
    if value.isdigit():
        return dt.timedelta(minutes=int(value))
    if not _WHOLE.match(value):
        raise ValueError(f"{text!r} is not a duration: write e.g. 30m, 6h, 2d or 1h30m")
    return dt.timedelta(seconds=sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(value)))


def format_duration(delay: dt.timedelta) -> str:
    """``timedelta(hours=6)`` -> ``6h``; ``0s`` for none."""
    seconds = int(delay.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


__all__ = ["format_duration", "parse_duration"]
