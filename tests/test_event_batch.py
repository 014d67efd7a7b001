"""Event batches: a per-event hook's handler run once for a batch's events (shopcrm.event_batch)."""
from __future__ import annotations

import functools
import logging
from typing import Any

import pytest

from shopcrm.event_batch import event_batch, handle


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[Any]] = []
        self.fail = fail

    def __call__(self, events: list[Any]) -> None:
        self.calls.append(list(events))
        if self.fail:
            raise RuntimeError("handler broke")


def test_outside_a_batch_the_handler_runs_at_once_with_the_one_event() -> None:
    seen = Recorder()
    handle(seen, "a")
    assert seen.calls == [["a"]]
    handle(seen, "b")
    assert seen.calls == [["a"], ["b"]]


def test_inside_a_batch_each_handler_runs_once_at_the_end_with_its_events_in_order() -> None:
    first, second = Recorder(), Recorder()
    with event_batch() as batch:
        for event in ("a", "b", "c"):
            handle(first, event)
            if event != "b":
                handle(second, event)
        assert first.calls == [] and second.calls == []
        assert len(batch) == 5
    assert first.calls == [["a", "b", "c"]]
    assert second.calls == [["a", "c"]]
    handle(first, "d")  # the batch is closed: at once again
    assert first.calls[-1] == ["d"]


def test_handlers_run_in_the_order_they_were_first_used() -> None:
    order: list[tuple[str, list[int]]] = []
    with event_batch():
        handle(lambda events: order.append(("b", events)), 1, key="b")
        handle(lambda events: order.append(("a", events)), 1, key="a")
        handle(lambda events: order.append(("b again", events)), 2, key="b")
    # one run per key, by the handler first given for it, with every event given under it
    assert order == [("b", [1, 2]), ("a", [1])]


def test_a_key_groups_handlers_made_anew_per_call() -> None:
    seen: list[tuple[str, list[int]]] = []

    def record(label: str, events: list[int]) -> None:
        seen.append((label, events))

    with event_batch():
        for n in range(3):
            handle(functools.partial(record, "shop"), n, key="record")
    assert seen == [("shop", [0, 1, 2])]


def test_a_handler_that_raises_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    broken, fine = Recorder(fail=True), Recorder()
    with caplog.at_level(logging.ERROR, logger="shopcrm.event_batch"):
        with event_batch():
            handle(broken, 1)
            handle(fine, 1)
            handle(fine, 2)
    assert broken.calls == [[1]] and fine.calls == [[1, 2]]
    assert "failed on 1 events" in caplog.text and "Recorder" in caplog.text


def test_the_events_run_even_when_the_block_raises() -> None:
    seen = Recorder()
    with pytest.raises(ValueError):
        with event_batch():
            handle(seen, 1)
            raise ValueError("later step failed")
    assert seen.calls == [[1]]


def test_a_batch_inside_another_runs_its_own_events_when_it_ends() -> None:
    seen = Recorder()
    with event_batch():
        handle(seen, "outer")
        with event_batch():
            handle(seen, "inner")
        assert seen.calls == [["inner"]]
    assert seen.calls == [["inner"], ["outer"]]
