"""The sandbox's settings are checked, and its draws are fixed by seed, OutId and attempt."""
from __future__ import annotations

import pytest

from shopcrm_sms_mock.behaviour import DEFAULTS, Behaviour, BehaviourError, draw, gateway_id, parse


def test_defaults():
    assert parse({}) == DEFAULTS == Behaviour(5, 0, 0, 0, 0, 1, 5, 10, "shopcrm")


def test_values_are_read_from_text_and_checked():
    assert parse({"delay_seconds": " 30 ", "unknown_percent": "2.5", "other": "x"}) == Behaviour(
        delay_seconds=30, unknown_percent=2.5)
    for bad in ({"transient_percent": "101"}, {"delay_seconds": "-1"}, {"limit_per_day": "many"},
                {"failed_percent": "-0.5"}):
        with pytest.raises(BehaviourError) as raised:
            parse(bad)
        assert raised.value.field == next(iter(bad))
    with pytest.raises(BehaviourError):
        parse({"transient_percent": 50, "permanent_percent": 30, "unknown_percent": 30})


def test_draws_are_reproducible_and_spread():
    assert draw("s", 1, "outcome") == draw("s", 1, "outcome")
    assert draw("s", 1, "outcome") != draw("s", 1, "outcome", attempt=1)
    assert draw("s", 1, "outcome") != draw("t", 1, "outcome")
    values = [draw("s", i, "outcome") for i in range(1000)]
    assert all(0 <= v < 100 for v in values)
    assert 400 < sum(v < 50 for v in values) < 600
    assert gateway_id("s", 1, 0) == gateway_id("s", 1, 0) != gateway_id("s", 1, 1)
