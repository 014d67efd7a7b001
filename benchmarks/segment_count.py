"""Counting a four-condition segment: compiled rules against the hand-written SQL.

Builds a demo shop of N customers (and 2N orders), then counts, many times each, the segment
"total paid ≥ 200, last order within 90 days, in one of five provinces, reachable by SMS" —
once through ``shopcrm.segment_rules`` and once with the same query written by hand. Prints one
JSON line with the medians: ``ours_s``, ``baseline_s``, ``ratio``.

    python benchmarks/segment_count.py --customers 1000000
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time

from sqlalchemy import text

from demo_shop import demo_shop, settle
from shopcrm.db import session_factory, utcnow
from shopcrm.segment_rules import count_matching

PROVINCES = ["广东省", "浙江省", "江苏省", "上海市", "北京市"]
RULES = {"all": [
    {"field": "total_paid", "op": ">=", "value": 200},
    {"field": "last_order_at", "op": "within_days", "value": 90},
    {"field": "province", "op": "in", "value": PROVINCES},
    {"field": "sms_reachable", "op": "=", "value": True},
]}
HAND_WRITTEN = """
SELECT count(*) FROM customer
WHERE shop_id = :shop AND total_paid >= 200 AND last_order_at >= :since
  AND province IN ('广东省', '浙江省', '江苏省', '上海市', '北京市') AND sms_reachable
"""


def timed(run, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, value = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with demo_shop("segments", args.customers, 2 * args.customers, seed=5) as shop:
        engine, shop_id = shop.engine, shop.shop_id
        settle(engine)
        with session_factory(engine)() as session:
            ours_s, ours = timed(lambda: session.scalar(count_matching(shop_id, RULES)), args.repeat)
            since = utcnow() - dt.timedelta(days=90)
            baseline_s, theirs = timed(lambda: session.scalar(
                text(HAND_WRITTEN), {"shop": shop_id, "since": since}), args.repeat)
    assert ours == theirs, (ours, theirs)
    print(json.dumps({
        "benchmark": "segment_count", "backend": shop.backend,
        "customers": args.customers, "matching": ours, "ours_s": round(ours_s, 4),
        "baseline_s": round(baseline_s, 4), "ratio": round(ours_s / baseline_s, 2),
    }))


if __name__ == "__main__":
    main()
