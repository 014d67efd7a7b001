"""A throttle in messages per second per channel and shop, shared by every worker.

A throttle hands out *send slots*: :meth:`Throttle.reserve` books ``n`` messages and returns
how long the caller must wait before sending them, so that, whatever the number of workers,
messages leave at the set rate. It is a virtual clock (the time the next slot is free), the
"generic cell rate" scheme: with Redis the clock lives in Redis and is moved by one atomic
script, so workers on several machines share it; without Redis it lives in this process.

A rate of 0 means no limit. When Redis cannot be reached the process falls back to its own
clock for that reservation (the rate is then held per process) rather than stop sending.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

_RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if free_at < now_us then free_at = now_us end
local next_free = free_at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], next_free, 'PX', 60000 + math.floor((next_free - now_us) / 1000))
return free_at - now_us
"""


class Throttle:
    """Send slots at ``rate`` messages per second for one key (channel and shop)."""

    def __init__(self, key: str, rate: float, redis: Any | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.key = key
        self.rate = float(rate)
        self._redis = redis
        self._clock = clock
        self._lock = threading.Lock()
        self._free_at = 0.0
        self._script: Any = None

    def reserve(self, n: int) -> float:
        """Book ``n`` messages; the seconds to wait before sending them (0 when no limit)."""
        if self.rate <= 0 or n <= 0:
            return 0.0
        cost_us = int(round(n * 1_000_000 / self.rate))
        if self._redis is not None:
            try:
                if self._script is None:
                    self._script = self._redis.register_script(_RESERVE)
                return max(0.0, int(self._script(keys=[f"shopcrm:throttle:{self.key}"], args=[cost_us])) / 1e6)
            except Exception as exc:  # Redis away: hold the rate in this process meanwhile
                log.warning("throttle %s: Redis unavailable (%s), holding the rate locally", self.key, exc)
        with self._lock:
            now = self._clock()
            free_at = max(self._free_at, now)
            self._free_at = free_at + cost_us / 1e6
            return free_at - now

    def wait(self, n: int, sleep: Callable[[float], None] = time.sleep) -> float:
        """Book ``n`` messages and sleep until they may go; the seconds slept."""
        delay = self.reserve(n)
        if delay > 0:
            sleep(delay)
        return delay


_local: dict[str, Throttle] = {}
_local_lock = threading.Lock()


def throttle_for(key: str, rate: float, redis: Any | None = None) -> Throttle:
    """The throttle of ``key`` (one per process and key, so its local clock is shared by the
    threads of the process); its rate follows the latest setting."""
    with _local_lock:
        throttle = _local.get(key)
        if throttle is None or throttle._redis is not redis:
            throttle = _local[key] = Throttle(key, rate, redis)
        throttle.rate = float(rate)
        return throttle


__all__ = ["Throttle", "throttle_for"]
