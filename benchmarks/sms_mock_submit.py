"""The SMS sandbox taking batches: ``MockSmsChannel.send_batch`` against a bare bulk INSERT.

Sends ``--batches`` batches of 100 fresh messages through the sandbox channel (each call one
transaction, as the outbox makes it) on a scratch database — an SQLite file, or a database
beside ``DATABASE_URL`` when that names PostgreSQL — with receipts due at once and no business
limits (the campaign case), then again with the default per-number limits. The baseline is the
floor: the same rows written with one plain ``executemany`` INSERT per batch, one transaction
each. Prints the per-batch medians of wall time and of this process's CPU time, and as its last
line one JSON object with ``ours_s``, ``baseline_s`` and ``ratio`` (wall, no limits).

    python benchmarks/sms_mock_submit.py --batches 200
    DATABASE_URL=postgresql://postgres@127.0.0.1/postgres python benchmarks/sms_mock_submit.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from typing import Any, Callable

from sqlalchemy import insert

from shopcrm import migrate
from shopcrm.channels import OutgoingMessage
from shopcrm.config import load_config
from shopcrm.db import make_engine, scratch_database, session_factory
from shopcrm_sms_mock.channel import MockSmsChannel
from shopcrm_sms_mock.models import Submission

BATCH = 100
NO_LIMITS = {"delay_seconds": 0, "limit_per_minute": 0, "limit_per_hour": 0, "limit_per_day": 0}
NOW = dt.datetime(2026, 11, 22, 12, 0)


def batches(start: int, count: int) -> list[list[OutgoingMessage]]:
    """``count`` batches of fresh messages, ids from ``start``, each to a number of its own."""
    return [[OutgoingMessage(id=i, to=f"138{i % 10**8:08d}", text="【测试店】双十一大促，全场五折，回T退订")
             for i in range(start + b * BATCH, start + (b + 1) * BATCH)] for b in range(count)]


def timed(run: Callable[[list[OutgoingMessage]], Any], work: list[list[OutgoingMessage]]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``run`` over the batches of ``work``."""
    walls, cpus = [], []
    for batch in work:
        wall, cpu = time.perf_counter(), time.process_time()
        run(batch)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder, \
            scratch_database(server, folder, f"shopcrm_bench_sms_mock_{os.getpid()}") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        config = load_config({"DATABASE_URL": url, "SHOPCRM_INSTANCE": folder})
        channel = MockSmsChannel(config, clock=lambda: NOW)
        warm = batches(10**8, 5)
        for batch in warm:
            channel.send_batch(batch, NO_LIMITS)
        ours = timed(lambda batch: channel.send_batch(batch, NO_LIMITS), batches(1, args.batches))
        limited = timed(lambda batch: channel.send_batch(batch, {}), batches(2 * 10**7, args.batches))
        resent = timed(lambda batch: channel.send_batch(batch, NO_LIMITS), batches(1, args.batches))
        table = Submission.__table__
        factory = session_factory(engine, write=True)

        def bare(batch: list[OutgoingMessage]) -> None:
            with factory() as session:
                session.connection().execute(insert(table), [
                    {"message_id": m.id, "number": m.to, "text": m.text, "template_code": None,
                     "template_params": None, "gateway_id": "000000000000000^0", "status": "accepted",
                     "error_code": None, "attempts": 1, "submitted_at": NOW, "due_at": NOW,
                     "receipt_at": None} for m in batch])
                session.commit()

        baseline = timed(bare, batches(4 * 10**7, args.batches))
        engine.dispose()
    backend = "postgresql" if server and not server.startswith("sqlite") else "sqlite"
    for label, (wall, cpu) in (("send_batch, no limits", ours), ("send_batch, default limits", limited),
                               ("send_batch, resends of held OutIds", resent), ("bare executemany INSERT", baseline)):
        print(f"{backend}  {label:<36} wall {wall * 1000:7.3f} ms  cpu {cpu * 1000:7.3f} ms  per {BATCH}")
    print(json.dumps({"benchmark": "sms_mock_submit", "backend": backend, "batches": args.batches,
                      "ours_s": ours[0], "ours_cpu_s": ours[1], "limited_s": limited[0],
                      "limited_cpu_s": limited[1], "resent_s": resent[0], "resent_cpu_s": resent[1],
                      "baseline_s": baseline[0], "baseline_cpu_s": baseline[1],
                      "ratio": ours[0] / baseline[0]}))


if __name__ == "__main__":
    main()
