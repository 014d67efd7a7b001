"""Customer rollups: the set-based refresh against a per-customer loop, in one run.

Builds a shop of N customers with about 3 orders each (bulk inserts), then times
``shopcrm.rollups.refresh`` over the whole shop against the obvious baseline: load each
customer's orders and write its rollups one customer at a time. Both must produce the same
rollups (checked). Prints one JSON line: ``ours_s``, ``baseline_s``, ``ratio`` (baseline/ours).

    python benchmarks/rollups.py --customers 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python benchmarks/rollups.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import tempfile
import time
from decimal import Decimal

from sqlalchemy import insert, select, text, update

from shopcrm import migrate
from shopcrm.db import make_engine, scratch_database, session_factory
from shopcrm.models import Customer, Order, Shop
from shopcrm.rollups import refresh
from shopcrm.sources import PAID_STATUSES

STATUSES = ["paid", "completed", "completed", "signed", "closed", "refunded", "pending_payment"]
PAID = {s.value for s in PAID_STATUSES}


def build(session, customers: int, seed: int) -> int:
    rng = random.Random(seed)
    shop = Shop(name=f"bench-{seed}-{time.time_ns()}")
    session.add(shop)
    session.flush()
    session.execute(insert(Customer), [
        {"shop_id": shop.id, "platform_id": f"buyer{i}", "tags": [], "sms_reachable": True}
        for i in range(customers)
    ])
    ids = session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)).all()
    start = dt.datetime(2025, 1, 1)
    rows = []
    for cid in ids:
        for k in range(rng.choice([1, 1, 1, 2, 3, 5, 8])):
            amount = Decimal(rng.randrange(990, 99900)) / 100
            created = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 600))
            rows.append({
                "shop_id": shop.id, "customer_id": cid, "platform_order_id": f"{cid}-{k}",
                "status": rng.choice(STATUSES), "total_amount": amount, "paid_amount": amount,
                "refund_amount": Decimal(0), "created_at": created,
                "paid_at": created + dt.timedelta(minutes=3), "source": "bench",
            })
            if len(rows) >= 20000:
                session.execute(insert(Order), rows)
                rows.clear()
    if rows:
        session.execute(insert(Order), rows)
    session.commit()
    return shop.id


def baseline(session, shop_id: int) -> None:
    """One customer at a time: what a per-row ORM implementation does."""
    for cid in session.scalars(select(Customer.id).where(Customer.shop_id == shop_id)).all():
        orders = session.execute(
            select(Order.status, Order.paid_amount, Order.refund_amount, Order.paid_at, Order.created_at)
            .where(Order.customer_id == cid)
        ).all()
        counted = [o for o in orders if o.status in PAID]
        times = [o.paid_at or o.created_at for o in counted]
        session.execute(update(Customer).where(Customer.id == cid).values(
            order_count=len(counted),
            total_paid=sum((o.paid_amount - o.refund_amount for o in counted), Decimal(0)),
            first_order_at=min(times, default=None), last_order_at=max(times, default=None),
        ))
    session.commit()


def snapshot(session, shop_id: int) -> list[tuple]:
    return session.execute(
        select(Customer.id, Customer.order_count, Customer.total_paid, Customer.first_order_at,
               Customer.last_order_at).where(Customer.shop_id == shop_id).order_by(Customer.id)
    ).all()


def reset(session, shop_id: int) -> None:
    session.execute(update(Customer).where(Customer.shop_id == shop_id).values(
        order_count=0, total_paid=0, first_order_at=None, last_order_at=None))
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, scratch_database(
        os.environ.get("DATABASE_URL"), folder, f"shopcrm_bench_{os.getpid()}"
    ) as url:
        result = run(make_engine(url), args)
    print(json.dumps(result))


def run(engine, args) -> dict:
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        shop_id = build(session, args.customers, args.seed)
        orders = session.scalar(select(text("count(*)")).select_from(Order).where(Order.shop_id == shop_id))

        reset(session, shop_id)
        t0 = time.perf_counter()
        baseline(session, shop_id)
        baseline_s = time.perf_counter() - t0
        expected = snapshot(session, shop_id)

        reset(session, shop_id)
        t0 = time.perf_counter()
        refresh(session, shop_id=shop_id)
        session.commit()
        ours_s = time.perf_counter() - t0
        assert snapshot(session, shop_id) == expected, "set-based rollups differ from the baseline"
    engine.dispose()
    return {
        "benchmark": "rollups.refresh", "backend": engine.dialect.name, "customers": args.customers,
        "orders": orders, "ours_s": round(ours_s, 4), "baseline_s": round(baseline_s, 4),
        "ratio": round(baseline_s / ours_s, 2),
    }


if __name__ == "__main__":
    main()
