"""Who runs the outbox: RQ workers with Redis, a thread of this process without.

With ``REDIS_URL`` set, sending is RQ jobs on their own queue, :data:`SEND_QUEUE` (which
``shopcrm worker`` serves after the main queue): each :func:`send_job` sends one batch of due
messages, whichever they are, so any number of workers on any number of machines share the work
and a job lost with Redis loses nothing: the rows are still in the outbox. :func:`kick` queues
as many jobs as there are batches due (less those already queued); rows put back for later
(a retry's back-off, quiet hours, an unknown outcome to ask about) queue a job for that moment
with RQ's scheduler.

Without Redis, :class:`LocalDispatcher` is a thread of the process (``shopcrm serve``) sending
and reconciling until the outbox is empty, then waiting to be woken.

:func:`sweep`, run every minute by the scheduler (``shopcrm scheduler``, or the ticker of
``shopcrm serve``), is the safety net: it reconciles rows whose worker died (their lease ran
out), starts scheduled campaigns that are due, finishes campaigns with nothing left to send,
and queues jobs for due rows nobody is working on (after Redis lost its queue, say).
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from typing import Any

from shopcrm.config import Config, load_config
from shopcrm.db import session_scope, utcnow
from shopcrm.outbox import BATCH, Outcome, anything_due, pending_count, reconcile, send_due

log = logging.getLogger(__name__)

SEND_QUEUE = "shopcrm-send"
IDLE_SECONDS = 2.0
"""How often an idle local dispatcher looks for rows that became due."""

_redis: dict[str, Any] = {}


def redis_for(config: Config) -> Any | None:
    """This process's Redis connection for ``config`` (``None`` without Redis)."""
    if not config.redis_url:
        return None
    connection = _redis.get(config.redis_url)
    if connection is None:
        from redis import Redis

        connection = _redis[config.redis_url] = Redis.from_url(config.redis_url)
    return connection


def send_queue(config: Config) -> Any:
    from rq import Queue

    return Queue(SEND_QUEUE, connection=redis_for(config))


def send_job(limit: int = BATCH) -> dict[str, Any]:
    """One batch of due messages: what an RQ worker runs from :data:`SEND_QUEUE`."""
    config = load_config()
    outcome = send_due(config, limit, redis=redis_for(config))
    after(config, outcome, limit)
    return outcome.as_dict()


def after(config: Config, outcome: Outcome, limit: int) -> None:
    """What follows a batch: a wake-up for rows put back for later, and, once the outbox ran
    dry, campaigns with nothing left marked sent."""
    if outcome.wake_at is not None:
        wake_at(config, outcome.wake_at)
    if outcome.claimed < limit or (outcome.campaigns and not anything_due(config)):
        # The outbox ran dry, or this full batch was the last one due: another worker's batch,
        # finished earlier, may have left its campaign for this one to mark sent.
        from shopcrm.campaigns import finish_done

        finish_done(config, outcome.campaigns or None)


def kick(config: Config, rows: int | None = None) -> int:
    """Make sure ``rows`` due messages (all that are due when ``None``) get sent; the jobs queued."""
    if not config.redis_url:
        _wake_local(config)
        return 0
    if rows is None:
        with session_scope(config) as session:
            rows = pending_count(session, utcnow())
    if rows <= 0:
        return 0
    queue = send_queue(config)
    wanted = math.ceil(rows / BATCH) - queue.count
    if wanted <= 0:
        return 0
    from rq import Queue

    queue.enqueue_many([Queue.prepare_data(send_job, kwargs={"limit": BATCH}, result_ttl=60)
                        for _ in range(wanted)])
    return wanted


def wake_at(config: Config, moment: dt.datetime) -> None:
    """Send what is due at ``moment`` (naive UTC) then."""
    if not config.redis_url:
        _wake_local(config)
        return
    when = moment.replace(tzinfo=dt.timezone.utc)
    send_queue(config).enqueue_at(when, send_job, kwargs={"limit": BATCH}, result_ttl=60)


def sweep(config: Config, now: dt.datetime | None = None) -> dict[str, int]:
    """Reconcile, start and finish campaigns, and queue work nobody is doing (every minute)."""
    from shopcrm.campaigns import finish_done, start_due

    now = now or utcnow()
    reconciled = 0
    while True:
        outcome = reconcile(config, now)
        reconciled += outcome.claimed
        if outcome.wake_at is not None:
            wake_at(config, outcome.wake_at)
        if outcome.claimed < BATCH:
            break
    started = start_due(config, now)
    finished = finish_done(config)
    with session_scope(config) as session:
        due = pending_count(session, now)
    queued = kick(config, due) if due else 0
    return {"reconciled": reconciled, "started": len(started), "finished": finished, "due": due, "queued": queued}


def drain(config: Config, done: Any = None, timeout: float | None = None) -> None:
    """Send in this process until ``done()`` is true (or nothing is left to do when no test is
    given): what ``--wait`` does without Redis."""
    deadline = time.monotonic() + timeout if timeout else None
    while True:
        outcome = send_due(config, redis=redis_for(config))
        after(config, outcome, BATCH)
        checked = reconcile(config)
        if done is not None and done():
            return
        if outcome.claimed == 0 and checked.claimed == 0:
            if done is None:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("still sending when the wait ran out")
            time.sleep(0.5)


class LocalDispatcher:
    """Sends and reconciles on a daemon thread of this process until the outbox is empty.

    ``shopcrm serve`` runs one when there is no Redis; other processes (the command line) send
    in the foreground with :func:`drain` or leave it to the server's dispatcher, which looks
    for due rows every :data:`IDLE_SECONDS`.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shopcrm-outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand, then end the thread."""
        self._stopping.set()
        self._wake.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                outcome = send_due(self.config)
                after(self.config, outcome, BATCH)
                checked = reconcile(self.config)
                busy = outcome.claimed or checked.claimed
            except Exception:  # the database restarting ...: try again shortly
                log.exception("local dispatch failed")
                busy = False
            if not busy:
                self._wake.wait(IDLE_SECONDS)
                self._wake.clear()


_dispatchers: dict[str, LocalDispatcher] = {}
_dispatchers_lock = threading.Lock()


def _key(config: Config) -> str:
    return f"{config.database_url}|{config.instance_path}"


def _wake_local(config: Config) -> None:
    with _dispatchers_lock:
        dispatcher = _dispatchers.get(_key(config))
    if dispatcher is not None:
        dispatcher.wake()


def stop_local_dispatchers() -> None:
    """Stop every dispatcher thread of this process (tests; a process about to exit)."""
    with _dispatchers_lock:
        running = list(_dispatchers.values())
        _dispatchers.clear()
    for dispatcher in running:
        dispatcher.stop()


def local_dispatcher(config: Config) -> LocalDispatcher:
    """This process's dispatcher for ``config``, started on first use."""
    with _dispatchers_lock:
        dispatcher = _dispatchers.get(_key(config))
        if dispatcher is None:
            dispatcher = _dispatchers[_key(config)] = LocalDispatcher(config)
        return dispatcher


__all__ = ["LocalDispatcher", "SEND_QUEUE", "after", "drain", "kick", "local_dispatcher", "redis_for",
           "send_job", "send_queue", "stop_local_dispatchers", "sweep", "wake_at"]
