"""Every recipient gets exactly one message, whatever fails: real ``shopcrm worker`` processes on
Redis, the real database, and the SMS sandbox as the gateway.

* a worker SIGKILLed mid-campaign (with the work horse of its batch);
* a gateway that answers some submissions with transient errors and some with timeouts;
* Redis shut down without saving and started again mid-campaign;
* a TD reply while the campaign's messages are still waiting;
* a throttled batch that takes longer than its lease, with sweeps running beside it.

Each run checks the sandbox's own table (``sms_mock_submission``): one held message per number,
none missing, and no submission of an OutId it already held (its ``resends``). RQ tests: skipped
without ``REDIS_URL``; they use a Redis database of their own (:data:`REDIS_DB`), apart from the
other RQ tests' database 9, since they start processes.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

from shopcrm import dispatch, outbox
from shopcrm.config import Config, load_config
from shopcrm.db import session_scope
from shopcrm.models import Campaign, Message, OptOut
from reliability_support import (Probe, Workers, campaign_status, counts, held_per_number, later,
                                 mismatched_gateway_ids, resends, run_sweep, set_rate, set_sandbox,
                                 shop_with_customers, start_campaign, submitted, wait_until)

OUTER_REDIS_URL = os.environ.get("REDIS_URL")
REDIS_DB = 11
LEASE_SECONDS = 3


def _redis_db(url: str, db: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


@pytest.fixture
def sending_redis(config: Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """REDIS_URL on database :data:`REDIS_DB`, emptied around the test; skipped without REDIS_URL."""
    if not OUTER_REDIS_URL:
        pytest.skip("REDIS_URL is not set: RQ tests run where a Redis server is given (CI sets it)")
    from redis import Redis

    url = _redis_db(OUTER_REDIS_URL, REDIS_DB)
    conn = Redis.from_url(url)
    conn.flushdb()
    monkeypatch.setenv("REDIS_URL", url)
    dispatch._redis.clear()
    yield url
    conn.flushdb()
    conn.close()
    dispatch._redis.clear()


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: Config) -> Probe:
    found = Probe(tmp_path / "probe")
    for key, value in found.env().items():
        monkeypatch.setenv(key, value)
    from shopcrm.plugins import reset_plugin_manager

    reset_plugin_manager()
    return found


@pytest.fixture
def workers(tmp_path: Path, sending_redis: str, probe: Probe) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Workers({**os.environ, "SHOPCRM_SEND_LEASE_SECONDS": str(LEASE_SECONDS)}, logs)
    yield started
    started.stop()


@pytest.fixture
def cfg(sending_redis: str, probe: Probe) -> Config:
    """The configuration the test's processes share (with Redis and the probe)."""
    return load_config()


def assert_exactly_once(config: Config, campaign_id: int, probe: Probe, recipients: int) -> dict[str, int]:
    """The campaign is sent, nothing is open, every sent message is held once by the sandbox
    under its gateway id, no number holds two, nothing was sent twice, and the campaign's report
    agrees; its counts."""
    assert campaign_status(config, campaign_id) == "sent"
    by_status = counts(config, campaign_id)
    assert sum(by_status.values()) == recipients
    assert not {"pending", "sending"} & set(by_status), by_status
    per_number = held_per_number(config, campaign_id)
    assert len(per_number) == recipients
    assert {n: c for n, c in per_number.items() if c > 1} == {}, "a number holds two messages"
    assert sum(per_number.values()) == by_status.get("sent", 0) + by_status.get("delivered", 0)
    assert mismatched_gateway_ids(config, campaign_id) == 0
    assert resends(config, campaign_id) == 0, "the outbox resent messages the gateway already had"
    from shopcrm.campaign_report import report

    with session_scope(config) as session:
        figures = report(session, config, session.get(Campaign, campaign_id))
    assert (figures["target"], figures["pending"]) == (recipients, 0)
    assert figures["sent"] == sum(per_number.values())
    assert figures["billed_parts"] >= figures["sent"]
    return by_status


def settle(config: Config, workers: Workers, campaign_id: int, env: dict[str, str], timeout: float = 90,
           shift: float = 0.0) -> int:
    """Sweep and run a burst worker until the campaign is sent; the rounds it took. Runs while no
    other worker is busy, so a sweep only reconciles rows nobody works on. It waits for what
    comes due first (a lease running out, a retry's back-off). ``shift`` sweeps that much later
    than now (in this process, not ``shopcrm scheduler --once``): rows with an unknown outcome are
    asked about only :data:`shopcrm.outbox.QUERY_AFTER` after it."""
    deadline = time.monotonic() + timeout
    rounds = 0
    while campaign_status(config, campaign_id) != "sent":
        assert time.monotonic() < deadline, f"campaign still {counts(config, campaign_id)}\n{workers.tail()}"
        wait = _next_due(config, campaign_id, shift)
        if wait > 0:
            time.sleep(wait)
        if shift:
            dispatch.sweep(load_config(), later(shift))
        else:
            run_sweep(env)
        rounds += 1
        workers.start()
        workers.wait()
    return rounds


def _next_due(config: Config, campaign_id: int, shift: float) -> float:
    """Seconds until the campaign's next row comes due: a pending one to send, a sending one
    to reconcile (as the sweep, ``shift`` seconds ahead, sees it)."""
    waits = []
    with session_scope(config) as session:
        for status, ahead in (("pending", 0.0), ("sending", shift)):
            moment = session.scalar(select(func.min(Message.send_after)).where(
                Message.campaign_id == campaign_id, Message.status == status))
            if moment is not None:
                waits.append((moment - later(ahead)).total_seconds() + 0.1)
    return max(0.0, min(waits, default=0.0))


def test_a_worker_killed_mid_campaign_loses_and_doubles_nothing(cfg: Config, workers: Workers,
                                                                probe: Probe) -> None:
    from shopcrm_sms_mock.models import Submission

    n = 20_000
    set_sandbox(cfg, limit_per_minute=0, limit_per_hour=0, limit_per_day=0)
    shop_id = shop_with_customers(cfg, n)
    campaign_id = start_campaign(cfg, shop_id)
    assert counts(cfg, campaign_id) == {"pending": n}

    doomed = workers.start(RELIAB_SLOW_SECONDS="0.3")  # a slow gateway for this one: a wide window
    workers.start()
    wait_until(lambda: submitted(cfg) >= n // 4, 120, "a quarter of the campaign sent")
    chunks = len(probe.ids("chunk"))
    wait_until(lambda: len(probe.ids("chunk")) > chunks, 30, "the doomed worker to hand over a chunk", every=0.01)
    workers.kill(doomed)  # send jobs run in the worker itself: the batch in hand dies with it
    at_kill = submitted(cfg)
    assert 0 < at_kill < n
    workers.start()
    workers.wait()
    abandoned = counts(cfg, campaign_id).get("sending", 0)
    assert abandoned > 0, "the killed worker held no claimed rows: the kill came between batches"
    with session_scope(cfg) as session:  # of those, the ones the gateway got before the kill
        abandoned_held = session.scalar(select(func.count()).select_from(Message).where(
            Message.campaign_id == campaign_id, Message.status == "sending",
            Message.id.in_(select(Submission.message_id))))

    sweeps = settle(cfg, workers, campaign_id, workers.env)
    by_status = assert_exactly_once(cfg, campaign_id, probe, n)
    assert by_status == {"sent": n}
    assert probe.ids("query"), "abandoned rows were not asked about"
    with session_scope(cfg) as session:
        assert session.scalar(select(func.max(Message.attempts)).where(Message.campaign_id == campaign_id)) == 1
    print(f"killed at {at_kill}/{n} held; {abandoned} rows abandoned, {abandoned_held} of them held by the "
          f"gateway; {sweeps} sweep(s)")


def test_transient_errors_and_timeouts_are_retried_or_reconciled_never_doubled(
        cfg: Config, workers: Workers, probe: Probe) -> None:
    from shopcrm_sms_mock.behaviour import draw
    from shopcrm_sms_mock.models import Submission

    n = 2000
    set_sandbox(cfg, transient_percent=5, unknown_percent=1, limit_per_minute=0, limit_per_hour=0,
                limit_per_day=0, seed="reliab")
    shop_id = shop_with_customers(cfg, n)
    campaign_id = start_campaign(cfg, shop_id)
    workers.start()
    workers.start()
    workers.wait()
    rounds = settle(cfg, workers, campaign_id, workers.env, shift=outbox.QUERY_AFTER.total_seconds() + 1)

    by_status = assert_exactly_once(cfg, campaign_id, probe, n)
    assert set(by_status) <= {"sent", "failed"}
    with session_scope(cfg) as session:
        retried = session.scalar(select(func.count()).select_from(Message).where(
            Message.campaign_id == campaign_id, Message.attempts > 1))
        tries = dict(session.execute(select(Submission.message_id, Submission.attempts)).all())
        failed = session.execute(select(Message.id, Message.error_code).where(
            Message.campaign_id == campaign_id, Message.status == "failed")).all()
    assert retried > 0, "no message was retried"
    timed_out = {m for m, a in tries.items()
                 if any(5 <= draw("reliab", m, "outcome", k) < 6 for k in range(a))}
    assert timed_out, "no submission timed out"
    assert timed_out <= set(probe.ids("query")), "timed-out messages were not reconciled through query"
    # A failure is only a message the sandbox does not hold (a timeout it lost), never one it has.
    held = {m for m, in _held_ids(cfg)}
    assert all(m not in held for m, _ in failed), failed
    print(f"{by_status}; {retried} retried; {len(timed_out)} timed out and asked about; {rounds} rounds")


def _held_ids(config: Config) -> list[tuple[int]]:
    from shopcrm_sms_mock.models import HELD, Submission

    with session_scope(config) as session:
        return [tuple(r) for r in session.execute(select(Submission.message_id).where(Submission.status.in_(HELD)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
        assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    return proc


def test_redis_restarted_mid_campaign_loses_and_doubles_nothing(config: Config, workers: Workers, probe: Probe,
                                                                tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = _redis_server(port, folder)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        monkeypatch.setenv("REDIS_URL", url)
        dispatch._redis.clear()
        workers.env["REDIS_URL"] = url
        # Nobody dies here, and the sweeps below run beside busy workers: a lease longer than a
        # batch takes, so a sweep never takes rows a live worker is sending.
        workers.env["SHOPCRM_SEND_LEASE_SECONDS"] = "60"
        n = 4000
        set_sandbox(config, limit_per_minute=0, limit_per_hour=0, limit_per_day=0)
        shop_id = shop_with_customers(config, n)
        campaign_id = start_campaign(load_config(), shop_id)
        # a slow gateway (0.1 s a chunk of 100) so the campaign takes seconds and Redis goes mid-way
        workers.start(burst=False, RELIAB_SLOW_SECONDS="0.1")
        workers.start(burst=False, RELIAB_SLOW_SECONDS="0.1")
        wait_until(lambda: submitted(config) >= n // 4, 60, "a quarter of the campaign sent")
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10)
        server.wait(timeout=10)
        at_restart = submitted(config)
        time.sleep(1.5)  # the workers notice Redis is gone
        server = _redis_server(port, folder)
        assert 0 < at_restart < n
        dispatch._redis.clear()
        # The queue went with Redis: the sweep queues the work again for the workers still running.
        deadline = time.monotonic() + 120
        while campaign_status(config, campaign_id) != "sent":
            assert time.monotonic() < deadline, f"campaign still {counts(config, campaign_id)}\n{workers.tail()}"
            run_sweep(workers.env)
            time.sleep(1)
        assert all(proc.poll() is None for proc in workers.procs), "a worker did not wait out the restart"
        workers.stop()
        by_status = assert_exactly_once(config, campaign_id, probe, n)
        assert by_status == {"sent": n}
        print(f"Redis restarted at {at_restart}/{n} held")
    finally:
        workers.stop()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        dispatch._redis.clear()


def test_a_td_reply_skips_the_numbers_waiting_message(cfg: Config, workers: Workers, probe: Probe) -> None:
    from shopcrm_sms_mock.events import raise_events
    from shopcrm_sms_mock.models import Submission
    from shopcrm_sms_mock.replies import record_reply

    n = 50
    shop_id = shop_with_customers(cfg, n)
    campaign_id = start_campaign(cfg, shop_id)  # written and queued; no worker has run yet
    with session_scope(cfg) as session:
        number = session.scalar(select(Message.to).where(Message.campaign_id == campaign_id)
                                .order_by(Message.id).offset(7).limit(1))
        assert session.scalar(select(Message.status).where(Message.to == number)) == "pending"
        event = record_reply(session, number, "TD", later(0), shop_id=shop_id)
    raise_events([event])
    with session_scope(cfg) as session:
        assert session.scalar(select(OptOut.id).where(OptOut.mobile == number, OptOut.channel == "sms_mock"))

    workers.start()
    workers.wait()
    settle(cfg, workers, campaign_id, workers.env)
    assert counts(cfg, campaign_id) == {"sent": n - 1, "skipped": 1}
    with session_scope(cfg) as session:
        skipped = session.execute(select(Message.to, Message.skip_reason).where(
            Message.campaign_id == campaign_id, Message.status == "skipped")).all()
        assert skipped == [(number, "opted_out")]
        assert session.scalar(select(func.count()).select_from(Submission).where(Submission.number == number)) == 0
        assert session.get(Campaign, campaign_id).status == "sent"


def test_a_batch_outlasting_its_lease_is_not_taken_by_the_sweep(cfg: Config, workers: Workers, probe: Probe,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttled to 150 messages a second, a batch of 1,000 takes almost 7 s, twice its lease
    (:data:`LEASE_SECONDS`): the worker extends the lease as it goes, so the sweeps beside it
    reconcile (and resend) nothing."""
    monkeypatch.setenv("SHOPCRM_SEND_LEASE_SECONDS", str(LEASE_SECONDS))
    n = 1000
    set_sandbox(cfg, limit_per_minute=0, limit_per_hour=0, limit_per_day=0)
    shop_id = shop_with_customers(cfg, n)
    set_rate(cfg, shop_id, 150)
    campaign_id = start_campaign(cfg, shop_id)
    worker = workers.start()
    started = time.monotonic()
    reconciled = 0
    while worker.poll() is None:
        reconciled += dispatch.sweep(load_config())["reconciled"]
        time.sleep(0.3)
    assert worker.returncode == 0, workers.tail()
    assert time.monotonic() - started > 2 * LEASE_SECONDS, "the throttle did not hold the batch back"
    dispatch.sweep(load_config())
    assert (reconciled, probe.ids("query")) == (0, [])
    assert_exactly_once(cfg, campaign_id, probe, n)
