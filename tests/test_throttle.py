"""Send slots at a set rate: a local virtual clock, one shared through Redis by every throttle of
a key, and the local clock taking over when Redis cannot be reached."""
from __future__ import annotations

import logging
import socket
import time

import pytest

from shopcrm.throttle import Throttle


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_local_reservations_are_spaced_at_the_rate():
    clock = FakeClock()
    throttle = Throttle("sms_mock:1", rate=10, clock=clock)

    assert [throttle.reserve(1) for _ in range(5)] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # A batch books its whole length: five messages at 10/s take half a second.
    assert throttle.reserve(5) == pytest.approx(0.5)
    assert throttle.reserve(1) == pytest.approx(1.0)
    # Time passing is waited off.
    clock.advance(0.75)
    assert throttle.reserve(1) == pytest.approx(1.1 - 0.75)
    # Idle time is not saved up for a burst later.
    clock.advance(60)
    assert throttle.reserve(1) == 0.0
    assert throttle.reserve(1) == pytest.approx(0.1)


def test_a_slow_rate_and_a_fractional_one():
    clock = FakeClock()
    throttle = Throttle("k", rate=0.5, clock=clock)
    assert [throttle.reserve(1) for _ in range(3)] == pytest.approx([0.0, 2.0, 4.0])
    fast = Throttle("k2", rate=3, clock=clock)
    assert [fast.reserve(1) for _ in range(4)] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])


@pytest.mark.parametrize("rate", [0, -5])
def test_no_limit_means_no_wait(rate):
    clock = FakeClock()
    throttle = Throttle("k", rate=rate, clock=clock)
    assert [throttle.reserve(n) for n in (1, 100, 10_000)] == [0.0, 0.0, 0.0]
    slept: list[float] = []
    assert throttle.wait(500, sleep=slept.append) == 0.0
    assert slept == []


def test_nothing_booked_for_no_messages():
    clock = FakeClock()
    throttle = Throttle("k", rate=10, clock=clock)
    assert throttle.reserve(0) == 0.0
    assert throttle.reserve(1) == 0.0  # the first slot is still free


def test_wait_sleeps_the_reserved_time():
    clock = FakeClock()
    throttle = Throttle("k", rate=4, clock=clock)
    slept: list[float] = []
    assert throttle.wait(2, sleep=slept.append) == 0.0
    assert throttle.wait(2, sleep=slept.append) == pytest.approx(0.5)
    assert throttle.wait(1, sleep=slept.append) == pytest.approx(1.0)
    assert slept == pytest.approx([0.5, 1.0])  # no sleep at all for a free slot


def test_redis_throttles_of_one_key_share_the_rate(redis_url):
    from redis import Redis

    # Each message books 50 ms, far more than a call takes, so the clock stays ahead of now.
    rate, n = 20.0, 60
    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    calls: list[tuple[float, float, float, int]] = []  # (before, wait, after, messages booked before)
    booked = 0

    def reserve(throttle: Throttle, count: int) -> float:
        nonlocal booked
        before = time.monotonic()
        wait = throttle.reserve(count)
        calls.append((before, wait, time.monotonic(), booked))
        booked += count
        return wait

    try:
        first, second = Throttle("sms_mock:7", rate, redis=one), Throttle("sms_mock:7", rate, redis=two)
        other_key = Throttle("sms_mock:8", rate, redis=two)
        waits = [reserve(first if i % 2 == 0 else second, 1) for i in range(n)]
        reserve(second, 10)  # a batch books its whole length on the shared clock too
        reserve(first, 1)

        assert waits[0] == 0.0  # the first slot is free
        # Each reservation may go out when the messages booked before it have had their time at
        # the rate, counted from the first one: whichever throttle made it, however long the
        # calls themselves took (the bounds allow for the moment Redis read its clock).
        first_before, _, first_after, _ = calls[0]
        for before, wait, after, earlier in calls:
            due = earlier / rate
            assert before + wait - first_after - 0.002 <= due <= after + wait - first_before + 0.002
        # So the total: n messages took n/rate, not n/(2 x rate) as two separate clocks would give.
        before, wait, after, earlier = calls[n - 1]
        assert wait + (after - first_before) >= (n - 1) / rate - 0.002
        # Another key has a clock of its own.
        assert other_key.reserve(1) == 0.0
        assert one.pttl("shopcrm:throttle:sms_mock:7") > 0  # the clock expires once idle
    finally:
        one.close()
        two.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_redis_falls_back_to_the_local_clock(caplog):
    from redis import Redis

    unreachable = Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=0.5)
    clock = FakeClock()
    throttle = Throttle("sms_mock:9", rate=10, redis=unreachable, clock=clock)
    with caplog.at_level(logging.WARNING, logger="shopcrm.throttle"):
        waits = [throttle.reserve(1) for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.1, 0.2])
    assert clock.reads == 3
    assert "Redis unavailable" in caplog.text
    clock.advance(0.2)
    assert throttle.reserve(2) == pytest.approx(0.1)
