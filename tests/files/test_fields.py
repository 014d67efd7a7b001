"""Cell parsers: the common export formats take a fast path, everything else the general one,
and both give the same values and the same errors."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shopcrm.files import fields
from shopcrm.files.fields import CellError


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-11 10:00:00", dt.datetime(2026, 11, 11, 10, 0, 0)),
    (" 2026-11-11 10:00:05 ", dt.datetime(2026, 11, 11, 10, 0, 5)),
    ("2026/11/11 10:00", dt.datetime(2026, 11, 11, 10, 0)),
    ("2026-11-11", dt.datetime(2026, 11, 11)),
    ("2026年11月11日 10:00", dt.datetime(2026, 11, 11, 10, 0)),
    ("2026-1-2 3:04:05", dt.datetime(2026, 1, 2, 3, 4, 5)),
    ("", None),
    ("-", None),
])
def test_timestamps(raw, expected):
    assert fields.timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["2026-02-30 10:00:00", "2026-11-11 25:00:00", "2026-11-11 10:00+08",
                                 "2026-11-11T10:00:00+08:00", "yesterday"])
def test_timestamps_that_are_not_shop_times_are_refused(raw):
    with pytest.raises(CellError, match="not a date and time"):
        fields.timestamp(raw)


@pytest.mark.parametrize("raw, expected", [
    ("128.5", Decimal("128.50")), ("¥128.50", Decimal("128.50")), ("128.50元", Decimal("128.50")),
    ("1,280.00", Decimal("1280.00")), ("￥1，280", Decimal("1280.00")), (" 0 ", Decimal("0.00")),
    ("99.999", Decimal("100.00")), (12.5, Decimal("12.50")), ("", None),
])
def test_amounts(raw, expected):
    assert fields.money(raw) == expected


@pytest.mark.parametrize("raw", ["-1.00", "NaN", "Infinity", "abc", "12.5.1"])
def test_amounts_that_are_not_amounts_are_refused(raw):
    with pytest.raises(CellError, match="not an amount"):
        fields.money(raw)


def test_text_strips_and_blanks():
    assert [fields.text(v) for v in (" a ", "null", "无", "", None, 3.0, 3.5)] == ["a", None, None, None, None, "3", "3.5"]


@pytest.mark.parametrize("raw, expected", [
    ("好评", 5), ("中评", 3), ("差评", 1), ("Bad", 1), (4, 4), ("4", 4), ("4星", 4), (" 2分 ", 2), (5.0, 5),
])
def test_ratings(raw, expected):
    assert fields.rating(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("", "the rating is missing"), ("0", "not a rating: '0'"), ("6", "not a rating: '6'"),
    ("3.5", "not a rating: '3.5'"), ("一般", "not a rating: '一般'"),
])
def test_ratings_that_are_not_ratings_are_refused_naming_the_value(raw, reason):
    with pytest.raises(CellError) as raised:
        fields.rating(raw)
    assert str(raised.value).startswith(reason)


@pytest.mark.parametrize("raw, expected", [
    ('="73512345678901"', "73512345678901"), ("SF1002003004\t", "SF1002003004"), (73512345678.0, "73512345678"),
    ("", None), ("-", None), (None, None),
])
def test_waybill_numbers(raw, expected):
    assert fields.waybill(raw) == expected


def test_a_waybill_number_that_lost_its_digits_in_excel_is_refused():
    with pytest.raises(CellError, match="waybill number was saved as a number"):
        fields.waybill(7.3512345678901e16)
