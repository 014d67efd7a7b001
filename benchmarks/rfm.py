"""A full RFM run against the bare SQL aggregate with NTILE on the same database.

Builds a demo shop (``shopcrm.demo_data``: N customers, M orders, bulk writes), then times:

* ours: ``RfmSegmenter.compute`` for the whole shop, labels persisted (``customer_label``);
* the baseline: the hand-written aggregate (R, F, M per customer over the window) with
  ``NTILE(5)`` scores, written into a plain table, in the same database;
* for reference, DuckDB over the same orders (exported once to Parquet-free Arrow via Python).

Then an incremental run: ``--new-orders`` more orders for existing customers and a run limited to
the customers they touched, found as the labels job finds them (``incremental_lookup_s``), against
its own bare SQL (``incremental_baseline_s``): those customers' orders aggregated into a plain
table and the values written into their labels, no scores, no classes. Prints one JSON line
(``ours_s``, ``baseline_s``, ``ratio``, ``incremental_s``, ``incremental_baseline_s``,
``incremental_ratio``, ``incremental_lookup_s``, ``duckdb_s``, and where each run's seconds went:
``full_steps``, ``incremental_steps`` and ``incremental_baseline_steps``).

Each side's writes reach the database file before the next side is timed (``write_out``): the
checkpoint thread of SQLite (:mod:`shopcrm.checkpoints`) and PostgreSQL's checkpointer write
back in the background what a commit logged. ``incremental_write_out_s`` is that write-back
after the incremental run, done at once and timed on its own.

    python benchmarks/rfm.py --customers 100000 --orders 1000000
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time

from sqlalchemy import event, select, text

from demo_shop import demo_shop, settle, write_out
from shopcrm.db import session_factory, utcnow
from shopcrm.labels import touched_customers
from shopcrm.models import Customer, Order
from shopcrm_rfm.segmenter import RfmSegmenter

BASELINE_SQL = """
CREATE TABLE bench_rfm AS
WITH w AS (
  SELECT o.customer_id,
         MAX(COALESCE(o.paid_at, o.created_at)) AS last_paid,
         COUNT(*) AS f,
         SUM(o.paid_amount - o.refund_amount) AS m
  FROM "order" o
  WHERE o.shop_id = :shop AND o.status IN ('paid', 'shipped', 'signed', 'completed')
    AND COALESCE(o.paid_at, o.created_at) >= :start
  GROUP BY o.customer_id
)
SELECT customer_id, last_paid, f, m,
       NTILE(5) OVER (ORDER BY last_paid) AS r_score,
       NTILE(5) OVER (ORDER BY f) AS f_score,
       NTILE(5) OVER (ORDER BY m) AS m_score
FROM w
"""

WINDOW = dt.timedelta(days=365)
"""The RFM window of every side (the segmenter's default ``window_days``)."""

INCREMENTAL_BASELINE_SQL = """
CREATE TABLE bench_rfm_incremental AS
SELECT o.customer_id,
       MAX(COALESCE(o.paid_at, o.created_at)) AS last_paid,
       COUNT(*) FILTER (WHERE COALESCE(o.paid_at, o.created_at) >= :start) AS f,
       SUM(o.paid_amount - o.refund_amount) FILTER (WHERE COALESCE(o.paid_at, o.created_at) >= :start) AS m
FROM "order" o
WHERE {touched} AND o.status IN ('paid', 'shipped', 'signed', 'completed')
GROUP BY o.customer_id
"""
INCREMENTAL_BASELINE_WRITE_SQL = """
UPDATE customer_label SET scores = {scores}, computed_at = :now
FROM bench_rfm_incremental b
WHERE customer_label.customer_id = b.customer_id AND customer_label.segmenter = 'rfm'
"""


def incremental_baseline(engine, customers: list[int], now: dt.datetime) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The bare SQL of a run over some customers: their orders aggregated (last paid order, and
    paid orders and amount in the window) into a plain table, and those values written into
    their labels, in one transaction. No scores, no classes. Its seconds by step: ``orders``
    (the aggregate), ``labels`` (the write) and ``commit``: the bare cost of reading those
    orders and writing those labels, on this database and machine."""
    postgres = engine.dialect.name == "postgresql"
    touched = "o.customer_id = ANY(:ids)" if postgres else "o.customer_id IN (SELECT value FROM json_each(:ids))"
    scores = ("json_build_object('last_paid', b.last_paid, 'f', b.f, 'm', b.m)" if postgres
              else "json_object('last_paid', b.last_paid, 'f', b.f, 'm', b.m)")
    ids: object = customers if postgres else json.dumps(customers)
    with engine.connect() as conn:
        t0 = time.perf_counter()
        conn.execute(text(INCREMENTAL_BASELINE_SQL.format(touched=touched)),
                     {"ids": ids, "start": now - WINDOW})
        t1 = time.perf_counter()
        conn.execute(text(INCREMENTAL_BASELINE_WRITE_SQL.format(scores=scores)), {"now": now})
        t2 = time.perf_counter()
        conn.commit()
        t3 = time.perf_counter()
    return {"orders": t1 - t0, "labels": t2 - t1, "commit": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--new-orders", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    with demo_shop("rfm", args.customers, args.orders, seed=3) as shop:
        engine, shop_id, folder = shop.engine, shop.shop_id, shop.folder
        settle(engine)
        build_s = time.perf_counter() - started
        now = utcnow()
        segmenter = RfmSegmenter()

        with session_factory(engine, write=True)() as session, Steps(engine) as full_steps:
            t0 = time.perf_counter()
            labelled = segmenter.compute(session, shop_id, {}, now=now)
            full_steps.commit(session)
            ours_s = time.perf_counter() - t0
        write_out(engine)  # our pages written back now, not while the baseline is timed

        with engine.begin() as conn:
            t0 = time.perf_counter()
            conn.execute(text(BASELINE_SQL), {"shop": shop_id, "start": now - WINDOW})
            baseline_s = time.perf_counter() - t0

        duckdb_s = _duckdb(engine, shop_id, now, folder)

        # Incremental: more orders for existing customers, then a run over those customers only,
        # found as the labels job finds them: customers and orders changed since the import began.
        since = utcnow()
        buyers = _more_orders(engine, shop_id, args.new_orders)
        write_out(engine)  # the new orders' pages, before the timed run
        with session_factory(engine)() as session:
            t0 = time.perf_counter()
            touched = touched_customers(session, shop_id, since)
            lookup_s = time.perf_counter() - t0
        if touched != buyers:
            raise SystemExit(f"touched_customers found {len(touched)} customers, the import touched {len(buyers)}")
        with session_factory(engine, write=True)() as session, Steps(engine) as incremental_steps:
            t0 = time.perf_counter()
            segmenter.compute(session, shop_id, {}, customer_ids=touched, now=now)
            incremental_steps.commit(session)
            incremental_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_out(engine)  # what the database's checkpointer does after the run, timed apart
        incremental_write_out_s = time.perf_counter() - t0
        incremental_baseline_steps = incremental_baseline(engine, touched, now)
        incremental_baseline_s = sum(incremental_baseline_steps.values())
    print(json.dumps({
        "benchmark": "rfm", "backend": shop.backend, "customers": args.customers,
        "orders": args.orders, "labelled": labelled, "build_s": round(build_s, 1),
        "ours_s": round(ours_s, 3), "baseline_s": round(baseline_s, 3), "ratio": round(ours_s / baseline_s, 2),
        "duckdb_s": duckdb_s, "incremental_orders": args.new_orders, "incremental_customers": len(touched),
        "incremental_s": round(incremental_s, 3), "incremental_baseline_s": round(incremental_baseline_s, 3),
        "incremental_ratio": round(incremental_s / incremental_baseline_s, 2), "incremental_lookup_s": round(lookup_s, 3),
        "incremental_write_out_s": round(incremental_write_out_s, 3),
        "full_steps": full_steps.seconds(), "incremental_steps": incremental_steps.seconds(),
        "incremental_baseline_steps": rounded(incremental_baseline_steps),
    }))


class Steps:
    """Where a timed run's seconds go: its statements by step (reading the orders, scoring,
    writing labels, the rest) and the commit, measured from the engine's cursor events."""

    KINDS = (("INSERT INTO rfm_window", "orders"), ("CREATE TEMPORARY TABLE rfm_scored", "scoring"),
             ("INSERT INTO customer_label", "labels"), ("DELETE FROM customer_label", "labels"))

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.totals: dict[str, float] = {}
        self._started = 0.0

    def __enter__(self) -> "Steps":
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        kind = next((name for prefix, name in self.KINDS if statement.lstrip().startswith(prefix)), "other")
        self.totals[kind] = self.totals.get(kind, 0.0) + time.perf_counter() - self._started

    def commit(self, session) -> None:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        session.commit()
        self.totals["commit"] = time.perf_counter() - started

    def seconds(self) -> dict[str, float]:
        return rounded(dict(sorted(self.totals.items())))


def rounded(seconds: dict[str, float]) -> dict[str, float]:
    """Seconds by step, to the millisecond, for the JSON line."""
    return {name: round(value, 3) for name, value in seconds.items()}


def _more_orders(engine, shop_id: int, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` new paid orders for existing customers, written in bulk; returns who bought."""
    import random

    from shopcrm import bulk

    rng = random.Random(9)
    with engine.begin() as conn:
        ids = conn.execute(select(Customer.id).where(Customer.shop_id == shop_id)).scalars().all()
        first = bulk.next_id(conn, Order.__table__)
        now = utcnow()
        buyers = [rng.choice(ids) for _ in range(count)]
        rows = [(first + n, shop_id, buyer, f"inc-{first + n}", "paid", 99, 99, 0, now, now, "bench", now, now)
                for n, buyer in enumerate(buyers)]
        bulk.write(conn, Order.__table__, ("id", "shop_id", "customer_id", "platform_order_id", "status",
                                           "total_amount", "paid_amount", "refund_amount", "created_at", "paid_at",
                                           "source", "imported_at", "updated_at"), rows)
        bulk.reset_sequence(conn, Order.__table__)
        from shopcrm.rollups import refresh

        refresh(conn, set(buyers))
    return sorted(set(buyers))


def _duckdb(engine, shop_id: int, now: dt.datetime, folder: str) -> float | None:  # type: ignore[no-untyped-def]
    """The same aggregate in DuckDB over the same orders (loading them is not timed)."""
    try:
        import duckdb
    except ImportError:  # `make bench` installs it; without it the reference is left out
        return None
    import csv

    path = os.path.join(folder, "orders.csv")
    with engine.connect() as conn, open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "status", "paid", "refund", "paid_time"])
        result = conn.execution_options(stream_results=True).execute(text(
            'SELECT customer_id, status, paid_amount, refund_amount, COALESCE(paid_at, created_at) '
            'FROM "order" WHERE shop_id = :shop'), {"shop": shop_id})
        for row in result:
            writer.writerow(row)
    db = duckdb.connect()
    db.execute(f"CREATE TABLE o AS SELECT * FROM read_csv('{path}', header = true)")
    started = time.perf_counter()
    db.execute("""
        CREATE TABLE rfm AS
        WITH w AS (SELECT customer_id, max(paid_time) AS last_paid, count(*) AS f, sum(paid - refund) AS m
                   FROM o WHERE status IN ('paid', 'shipped', 'signed', 'completed') AND paid_time >= ?
                   GROUP BY customer_id)
        SELECT customer_id, ntile(5) OVER (ORDER BY last_paid) r, ntile(5) OVER (ORDER BY f) f_score,
               ntile(5) OVER (ORDER BY m) m_score FROM w
    """, [now - WINDOW])
    elapsed = time.perf_counter() - started
    db.close()
    return round(elapsed, 3)


if __name__ == "__main__":
    main()
