"""Durations as operators type them."""
from __future__ import annotations

import datetime as dt

import pytest

from shopcrm.durations import format_duration, parse_duration


@pytest.mark.parametrize("text, expected", [
    ("30m", dt.timedelta(minutes=30)), ("6h", dt.timedelta(hours=6)), ("2d", dt.timedelta(days=2)),
    ("90s", dt.timedelta(seconds=90)), ("1h30m", dt.timedelta(minutes=90)), (" 1H 30M ", dt.timedelta(minutes=90)),
    ("15", dt.timedelta(minutes=15)), ("0s", dt.timedelta(0)),
])
def test_parse(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "3q", "-5m", "1.5h", "m"])
def test_what_is_not_a_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="write e.g. 30m, 6h, 2d"):
        parse_duration(text)


def test_format_round_trips() -> None:
    for delay in (dt.timedelta(0), dt.timedelta(minutes=30), dt.timedelta(hours=48), dt.timedelta(minutes=90, seconds=5)):
        assert parse_duration(format_duration(delay)) == delay
    assert format_duration(dt.timedelta(hours=48)) == "2d"
