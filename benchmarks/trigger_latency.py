"""Event-to-SMS latency of a zero-delay automation, against a bare RQ job on the same workers.

Serves the app with ``shopcrm serve`` (gunicorn) and runs ``--workers`` ``shopcrm worker``
processes on a scratch PostgreSQL database (beside ``DATABASE_URL``) and Redis (``REDIS_URL``,
or database 13 of a local server). With the ``paid_thanks`` automation switched on (no delay,
night-time sends allowed, the SMS sandbox accepting everything), it posts ``--events`` paid
orders to ``POST /api/v1/orders`` at a steady ``--rate`` per second, one order a request
(``--batch`` orders a request: the API takes a list), and measures for each order the time
from the moment its request was sent to the moment the sandbox accepted its message
(``sms_mock_submission.submitted_at``).

In the same run, at ``--probe-rate`` per second, a bare RQ job is enqueued on the workers' main
queue, served by the same workers; its latency is from its enqueueing to its run. At the end it
checks that every order got exactly one message (no duplicate in the outbox nor at the
gateway). ``--send-queue-first`` has the workers serve the outbox's queue before the main one
(``shopcrm worker`` serves the main queue first), to show what that order costs the messages.
Prints p50 and p95 of both, then one JSON line: ``ours_s`` and ``baseline_s`` are
the p50s, ``ratio`` their ratio. Targets: p95 ≤ 1 s at 200 events/s, ratio ≤ 3.

    DATABASE_URL=postgresql://postgres@127.0.0.1/postgres python benchmarks/trigger_latency.py \\
        --rate 200 --events 100000 --workers 4
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
TRIGGER = "paid_thanks"
PROBE_KEY = "shopcrm:bench:trigger_latency:probes"
P95_TARGET_S = 1.0
RATIO_TARGET = 3.0
REQUEST_TIMEOUT_S = 900
"""An overloaded server answers late rather than never: its answer still counts."""


def probe(enqueued: float) -> None:
    """The bare RQ job: note when it ran (run by the workers, imported from this file)."""
    from rq import get_current_job

    ran = time.time()
    job = get_current_job()
    assert job is not None
    job.connection.rpush(PROBE_KEY, json.dumps([enqueued, ran]))


def send_first_worker(name: str) -> None:
    """A worker like ``shopcrm worker`` that serves the outbox's queue before the main one: what
    ``--send-queue-first`` runs, to show what the order of the queues costs the messages."""
    from redis import Redis
    from rq import Queue, Worker

    from shopcrm.config import load_config
    from shopcrm.dispatch import SEND_QUEUE
    from shopcrm.jobs.runner import QUEUE_NAME, load_job_kinds

    load_job_kinds()
    connection = Redis.from_url(load_config().redis_url or DEFAULT_REDIS)
    queues = [Queue(SEND_QUEUE, connection=connection), Queue(QUEUE_NAME, connection=connection)]
    Worker(queues, connection=connection, name=name).work(with_scheduler=True, logging_level="INFO")


@dataclass(slots=True)
class Posted:
    """When each order's request was sent (epoch seconds), and what the API answered."""

    at: dict[str, float] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def epoch(moment: dt.datetime) -> float:
    """A naive UTC time as the database keeps it, in epoch seconds."""
    return moment.replace(tzinfo=dt.UTC).timestamp()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_up(engine: Engine) -> tuple[int, str]:
    """A shop without quiet hours, the sandbox without limits, ``paid_thanks`` on; an API token."""
    from shopcrm import migrate, sending_policy
    from shopcrm.api_tokens import create_token
    from shopcrm.automation_store import enable
    from shopcrm.db import session_factory
    from shopcrm.models import Shop
    from shopcrm_sms_mock import behaviour

    migrate.upgrade(engine)
    with session_factory(engine, write=True)() as session:
        shop = Shop(name="bench shop", sms_signature="小店")
        session.add(shop)
        session.flush()
        sending_policy.save(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
        behaviour.save(session, behaviour.parse({"delay_seconds": 5, "limit_per_minute": 0, "limit_per_hour": 0,
                                                 "limit_per_day": 0}))
        enable(session, shop.id, TRIGGER, delay=dt.timedelta(0), channel="sms_mock", options={"night": "send"},
               now=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=5))
        token = create_token(session, shop.id, "bench").token
        session.commit()
        return shop.id, token


def order_payload(numbers: range, run: str) -> bytes:
    """Paid orders, one per number, created and paid now."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return json.dumps([{
        "order_id": f"{run}-{number}", "customer_id": f"buyer{number % 20000}",
        "mobile": f"139{number % 100_000_000:08d}", "status": "paid", "total_amount": "128.00",
        "paid_amount": "128.00", "created_at": now, "paid_at": now,
        "items": [{"title": "连衣裙", "quantity": 1, "price": "128.00"}],
    } for number in numbers]).encode()


def client(port: int, token: str, jobs: "queue.Queue[tuple[range, float] | None]", run: str, posted: Posted) -> None:
    """Post the orders handed over, each request at its moment, on one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while True:
        item = jobs.get()
        if item is None:
            return
        numbers, due = item
        body = order_payload(numbers, run)
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        sent = time.time()
        try:
            conn.request("POST", "/api/v1/orders", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            ok = response.status == 200
            problem = f"{response.status} {answer[:300]!r}"
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            ok, problem = False, repr(exc)
        with posted.lock:
            for number in numbers:
                if ok:
                    posted.at[f"{run}-{number}"] = sent
                else:
                    posted.failed.append(f"{run}-{number}: {problem}")


def prober(redis_url: str, rate: float, stop: threading.Event) -> int:
    """Enqueue bare jobs on the workers' main queue at ``rate`` per second until ``stop``. (Not on
    the outbox's queue: its length tells :func:`shopcrm.dispatch.kick` how many send jobs are
    queued already.)"""
    from redis import Redis
    from rq import Queue

    from shopcrm.jobs.runner import QUEUE_NAME

    main_queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
    count, start = 0, time.monotonic()
    while not stop.is_set():
        due = start + count / rate
        wait = due - time.monotonic()
        if wait > 0:
            stop.wait(wait)
            continue
        main_queue.enqueue("trigger_latency.probe", time.time(), result_ttl=0)
        count += 1
    return count


def wait_for_server(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def submitted(engine: Engine, run: str) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    """Each of the run's orders with, for each message about it the sandbox accepted, when the
    message was written to the outbox and when the sandbox accepted it."""
    found: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    with engine.connect() as conn:
        rows = conn.execute(text(
            'SELECT o.platform_order_id, m.created_at, s.submitted_at FROM sms_mock_submission s '
            'JOIN message m ON m.id = s.message_id JOIN "order" o ON o.id = m.order_id '
            "WHERE o.platform_order_id LIKE :run AND s.status IN ('accepted', 'delivered', 'failed')"),
            {"run": f"{run}-%"})
        for order_id, written, at in rows:
            found.setdefault(order_id, []).append((written, at))
    return found


def outbox_counts(engine: Engine, run: str) -> tuple[int, int, int]:
    """Messages about the run's orders, distinct orders among them, and those sent."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*), count(DISTINCT m.order_id), "
            "sum(CASE WHEN m.status IN ('sent', 'delivered') THEN 1 ELSE 0 END) "
            'FROM message m JOIN "order" o ON o.id = m.order_id WHERE o.platform_order_id LIKE :run'),
            {"run": f"{run}-%"}).one()
    return int(row[0]), int(row[1]), int(row[2] or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="order events posted per second")
    parser.add_argument("--events", type=int, default=100_000, help="order events in all")
    parser.add_argument("--batch", type=int, default=1, help="orders per request (the API takes a list)")
    parser.add_argument("--workers", type=int, default=4, help="`shopcrm worker` processes")
    parser.add_argument("--send-queue-first", action="store_true",
                        help="workers serve the outbox's queue before the main one (not `shopcrm worker`'s order)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=32, help="client threads posting the events")
    parser.add_argument("--probe-rate", type=float, default=5.0, help="bare RQ jobs enqueued per second")
    parser.add_argument("--logs", type=Path, default=None, help="a folder for the server's and workers' output")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for the last messages")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL")
    if not server or not server.startswith("postgres"):
        reason = "DATABASE_URL must name a PostgreSQL server: the web and worker processes share the database"
        print(reason, file=sys.stderr)
        print(json.dumps({"benchmark": "trigger_latency", "skipped": reason}))
        return 0
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    from redis import Redis

    from shopcrm.db import make_engine, scratch_database

    Redis.from_url(redis_url).flushdb()
    run = f"b{secrets.token_hex(3)}"
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder, \
            scratch_database(server, folder, f"shopcrm_bench_trigger_{os.getpid()}") as url:
        engine = make_engine(url)
        _shop_id, token = set_up(engine)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SHOPCRM_INSTANCE": folder,
               "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
        port = free_port()
        try:
            commands = {"serve": [str(BIN / "shopcrm"), "serve", "--port", str(port),
                                  "--workers", str(args.web_workers)]}
            for n in range(args.workers):
                name = f"bench-{run}-{n}"
                commands[f"worker{n}"] = (
                    [sys.executable, "-c", f"import trigger_latency; trigger_latency.send_first_worker({name!r})"]
                    if args.send_queue_first else [str(BIN / "shopcrm"), "worker", "--name", name])
            for label, command in commands.items():
                output = open(args.logs / f"{label}.log", "wb") if args.logs else subprocess.DEVNULL
                processes.append(subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT,
                                                  start_new_session=True))
            wait_for_server(port)
            result = measure(args, engine, port, token, run, redis_url)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            engine.dispose()
    Redis.from_url(redis_url).flushdb()
    print(f"automation  p50 {result['ours_s']:.3f} s  p95 {result['ours_p95_s']:.3f} s  "
          f"({result['measured']} events at {result['achieved_rate']}/s)")
    print(f"  of which to the outbox: p50 {result['to_outbox_p50_s']:.3f} s  p95 {result['to_outbox_p95_s']:.3f} s")
    print(f"bare RQ job p50 {result['baseline_s']:.3f} s  p95 {result['baseline_p95_s']:.3f} s  "
          f"({result['probes']} jobs)")
    print(f"ratio of p50s {result['ratio']}; duplicates {result['duplicates']}; "
          f"targets {'met' if result['targets_met'] else 'NOT met'}")
    if result["failed_posts"]:
        print(f"{result['failed_posts']} posts failed, the first: {result['first_failure']}")
    print(json.dumps(result))
    return 0 if result["processed"] == args.events and result["duplicates"] == 0 else 1


def measure(args: argparse.Namespace, engine: Engine, port: int, token: str, run: str,
            redis_url: str) -> dict[str, Any]:
    from redis import Redis

    posted = Posted()
    jobs: queue.Queue[tuple[range, float] | None] = queue.Queue(maxsize=4 * args.clients)
    threads = [threading.Thread(target=client, args=(port, token, jobs, run, posted), daemon=True)
               for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    stop = threading.Event()
    probes: list[int] = []
    probe_thread = threading.Thread(target=lambda: probes.append(prober(redis_url, args.probe_rate, stop)),
                                    daemon=True)
    probe_thread.start()
    start = time.monotonic() + 0.5
    for first in range(0, args.events, args.batch):
        jobs.put((range(first, min(first + args.batch, args.events)), start + first / args.rate))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    duration = time.monotonic() - start
    stop.set()
    probe_thread.join()

    deadline = time.monotonic() + args.drain_timeout
    found: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    while time.monotonic() < deadline:
        found = submitted(engine, run)
        if len(found) >= len(posted.at):
            break
        time.sleep(1)
    messages, distinct_orders, sent = outbox_counts(engine, run)
    gateway_duplicates = sum(len(times) - 1 for times in found.values())
    firsts = {order_id: min(times, key=lambda pair: pair[1]) for order_id, times in found.items()
              if order_id in posted.at}
    latencies = [epoch(at) - posted.at[order_id] for order_id, (_written, at) in firsts.items()]
    to_outbox = [epoch(written) - posted.at[order_id] for order_id, (written, _at) in firsts.items()]
    raw = Redis.from_url(redis_url).lrange(PROBE_KEY, 0, -1)
    baseline = [ran - enqueued for enqueued, ran in (json.loads(item) for item in raw)]
    ours_p50, ours_p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    base_p50, base_p95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    ratio = round(ours_p50 / base_p50, 2) if base_p50 > 0 else None
    duplicates = gateway_duplicates + (messages - distinct_orders)
    return {
        "benchmark": "trigger_latency", "backend": engine.dialect.name, "rate": args.rate,
        "events": args.events, "batch": args.batch, "workers": args.workers,
        "send_queue_first": args.send_queue_first, "web_workers": args.web_workers,
        "duration_s": round(duration, 1), "achieved_rate": round(len(posted.at) / duration, 1),
        "failed_posts": len(posted.failed), "first_failure": posted.failed[0] if posted.failed else None,
        "processed": len(found), "messages": messages, "sent": sent,
        "duplicates": duplicates, "measured": len(latencies), "probes": len(baseline),
        "ours_s": round(ours_p50, 4), "ours_p95_s": round(ours_p95, 4),
        "to_outbox_p50_s": round(percentile(to_outbox, 0.5), 4),
        "to_outbox_p95_s": round(percentile(to_outbox, 0.95), 4),
        "baseline_s": round(base_p50, 4), "baseline_p95_s": round(base_p95, 4), "ratio": ratio,
        "targets_met": bool(ours_p95 <= P95_TARGET_S and ratio is not None and ratio <= RATIO_TARGET),
    }


if __name__ == "__main__":
    sys.exit(main())
