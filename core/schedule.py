"""Daily jobs: job kinds that run once a day for every shop, at an hour of the shop's own clock.

A job kind taking ``shop_id`` is made daily with :func:`daily`, beside its ``@job`` (the core
makes ``labels.refresh`` daily; plugins do the same for theirs)::

    from shopcrm.schedule import daily

    daily("membership.review", hour=4)

:func:`tick` enqueues whatever is due: a kind is due for a shop once its hour has come on the
shop's calendar day and it has not been claimed for that day yet. A run missed while nothing was
ticking happens at the next tick of the same day. Claims are rows in the ``setting`` table
(namespace ``schedule``, one per kind, shop and day) under its unique key, so any number of
tickers (web processes, ``shopcrm scheduler`` on several machines) enqueue each run once.

Without Redis, ``shopcrm serve`` ticks in a thread of its own; with Redis, run
``shopcrm scheduler`` beside the workers. Each tick also sweeps the outbox (see
:func:`shopcrm.dispatch.sweep`).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.jobs import enqueue
from shopcrm.jobs.runner import load_job_kinds
from shopcrm.models import Setting, Shop

log = logging.getLogger(__name__)

NAMESPACE = "schedule"
KEEP_CLAIMS = dt.timedelta(days=14)
TICK_SECONDS = 60.0

_daily: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class Due:
    kind: str
    shop_id: int
    day: dt.date

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.shop_id}:{self.day.isoformat()}"


def daily(kind: str, hour: int = 3) -> None:
    """Run job ``kind`` (which takes ``shop_id``) every day at ``hour`` o'clock shop time."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0 to 23, not {hour}")
    _daily[kind] = hour


def daily_jobs() -> dict[str, int]:
    """Every daily job kind with its hour, once the job kinds and plugins are loaded."""
    load_job_kinds()
    return dict(sorted(_daily.items()))


def due(config: Config, now: dt.datetime | None = None) -> list[Due]:
    """The daily runs whose hour has come today (shop time) and that nobody has claimed."""
    now = now or utcnow()
    jobs = daily_jobs()
    with session_scope(config) as session:
        shops = session.execute(select(Shop.id, Shop.timezone)).all()
        candidates = []
        for shop_id, timezone in shops:
            local = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone))
            for kind, hour in jobs.items():
                if local.hour >= hour:
                    candidates.append(Due(kind, shop_id, local.date()))
        claimed = set(session.scalars(select(Setting.key).where(
            Setting.namespace == NAMESPACE, Setting.key.in_([c.key for c in candidates]))))
    return [c for c in candidates if c.key not in claimed]


def claim(config: Config, run: Due) -> bool:
    """Claim ``run`` for this ticker; ``False`` when another one claimed it first."""
    try:
        with session_scope(config) as session:
            session.add(Setting(namespace=NAMESPACE, key=run.key, value={"claimed_at": utcnow().isoformat()}))
    except IntegrityError:
        return False
    return True


def tick(config: Config, now: dt.datetime | None = None) -> list[int]:
    """Enqueue every due daily run and sweep the outbox (:func:`shopcrm.dispatch.sweep`: scheduled
    campaigns, abandoned sends); return the daily job run ids."""
    from shopcrm.dispatch import sweep

    now = now or utcnow()
    try:
        sweep(config, now)
    except Exception:  # sending has its own retries; the daily runs must not wait on it
        log.exception("outbox sweep failed")
    job_ids = []
    for run in due(config, now):
        if claim(config, run):
            job_ids.append(enqueue(run.kind, config, shop_id=run.shop_id))
            log.info("daily %s for shop %s (%s) queued", run.kind, run.shop_id, run.day)
    _forget_old_claims(config, now)
    return job_ids


def _forget_old_claims(config: Config, now: dt.datetime) -> None:
    cutoff = now - KEEP_CLAIMS
    with session_scope(config) as session:
        session.execute(delete(Setting).where(Setting.namespace == NAMESPACE, Setting.updated_at < cutoff))


class Ticker:
    """Calls :func:`tick` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, config: Config, interval: float = TICK_SECONDS) -> None:
        self.config = config
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shopcrm-schedule", daemon=True)

    def start(self) -> "Ticker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                tick(self.config)
            except Exception:  # a bad tick (database restarting ...) must not end the schedule
                log.exception("daily schedule tick failed")
            self._stop.wait(self.interval)

__all__ = ["Due", "Ticker", "claim", "daily", "daily_jobs", "due", "tick"]
