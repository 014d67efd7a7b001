"""The automation engine: events in, care messages out through the outbox.

:func:`fire` hands an event to every automation of its shop that is switched on and whose
trigger listens to the event's kind, and writes the messages its targets get
(:mod:`shopcrm.automation_messages`), due at the event's time plus the automation's delay.
Order events come from every data path through ``on_order_event`` (the default plugin
``default_automations``); ``review.created`` from ingestion, for each new review (:mod:`shopcrm.reviews`); ``daily`` from the
job :data:`DAILY_JOB`, run every day at :data:`DAILY_HOUR` o'clock shop time.

Importing history never messages anyone: an event fires nothing when it is older than the
automation's ``enabled_at`` (when it was switched on) or than its freshness window (option
``fresh_hours``, default :data:`FRESHNESS`, 24 hours). Each message has the trigger's dedupe
key, unique per automation, so a replayed event or a retried job adds nothing; and the trigger's
``still_applies`` is asked again when the message is about to be sent
(:mod:`shopcrm.automation_checks`), so an order paid meanwhile gets no payment reminder and an
event that arrives late does not message about a state the order has left.

A status change an import reports without the time it happened (a file without a shipping time
column, say) is dated when it was imported; it may be months old, so it fires nothing
(:func:`time_known`). Only the API's changes (source ``api``) count as happening when they arrive.

Events cost little while nothing listens: an event older than a week is dropped without a query,
and the shop's switched-on automations are read at most once a second per process
(:data:`CACHE_SECONDS`; at once again after this process switched one).

A new order first seen in a later status (created and paid in one go, say) raises one
``order.created`` event: it counts as ``order.<status>`` too (:func:`event_kinds`).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from shopcrm.automation_messages import Written, write
from shopcrm.automation_store import ENGINE_OPTIONS, MAX_FRESH_HOURS, generation, options_of
from shopcrm.config import Config, active_config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.jobs import Progress, job
from shopcrm.models import Automation, Order
from shopcrm.registry import get_registry
from shopcrm.schedule import daily
from shopcrm.sql import in_ids
from shopcrm.sources import OrderEvent, OrderStatus
from shopcrm.triggers import ScheduleEvent, TriggerEvent

log = logging.getLogger(__name__)

FRESHNESS = dt.timedelta(hours=24)
"""Events older than this fire nothing (an automation's ``fresh_hours`` option changes it)."""
CACHE_SECONDS = 1.0
"""How long the switched-on automations of a shop are read from memory: a switch made by another
process is seen within this."""
DAILY_JOB = "automations.daily"
DAILY_HOUR = 10
"""When ``daily`` triggers (birthdays, N days after a purchase) run, shop time."""


@dataclass(slots=True)
class Fired:
    """What one event did: messages written per automation (by trigger name)."""

    written: dict[str, Written] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return sum(w.pending for w in self.written.values())

    @property
    def skipped(self) -> int:
        return sum(w.skipped for w in self.written.values())

    def as_dict(self) -> dict[str, Any]:
        return {name: {"pending": w.pending, "skipped": w.skipped} for name, w in self.written.items()}


def event_kinds(event: TriggerEvent) -> set[str]:
    """The kinds an event counts as: its own, and for a new order first seen past payment, the
    kind of its status as well (``order.created`` of a paid order is also ``order.paid``)."""
    kinds = {event.kind}
    if isinstance(event, OrderEvent) and event.kind == "order.created" and event.status != OrderStatus.PENDING_PAYMENT:
        kinds.add(f"order.{event.status.value}")
    return kinds


LIVE_SOURCES = frozenset({"api"})
"""Sources whose changes happen when they arrive, recorded time or not."""
_STATUS_TIMES = {"paid": "paid_at", "shipped": "shipped_at", "signed": "signed_at", "completed": "signed_at",
                 "closed": "closed_at", "refunded": "closed_at"}


def time_known(conn: Connection, event: TriggerEvent) -> bool:
    """Whether the event's time is the change's own: an imported status change whose order has no
    time for that status was only dated by the import (see the module's docstring)."""
    if not isinstance(event, OrderEvent) or event.source in LIVE_SOURCES:
        return True
    column = _STATUS_TIMES.get(event.kind.removeprefix("order."))
    if column is None:
        return True
    return conn.execute(select(Order.__table__.c[column]).where(Order.__table__.c.id == event.order_id)).scalar() is not None


def is_fresh(event: TriggerEvent, enabled_at: dt.datetime | None, options: Mapping[str, Any],
             now: dt.datetime) -> bool:
    """Whether ``event`` may fire an automation switched on at ``enabled_at``: not older than
    that, and within its freshness window (option ``fresh_hours``; a ``daily`` event is now)."""
    if enabled_at is None or event.occurred_at < enabled_at:
        return False
    hours = options.get("fresh_hours") or FRESHNESS.total_seconds() / 3600
    return event.occurred_at >= now - dt.timedelta(hours=float(hours))


def may_fire(event: TriggerEvent, now: dt.datetime | None = None) -> bool:
    """``False`` for an event too old to fire any automation, whatever its options: history an
    import replays is dropped here without a query."""
    return event.occurred_at >= (now or utcnow()) - dt.timedelta(hours=MAX_FRESH_HOURS)


_Row = tuple[int, str, dt.datetime | None, dict[str, Any] | None]
_cache: dict[tuple[str, int], tuple[int, float, list[_Row]]] = {}
_cache_lock = threading.Lock()


def _switched_on(config: Config, conn: Connection, shop_id: int) -> list[_Row]:
    """``(id, trigger, enabled_at, options)`` of the shop's automations that are on, kept for
    :data:`CACHE_SECONDS` (and until this process changes one): an import's thousands of events
    read them once."""
    key = (config.database_url, shop_id)
    stamp, clock = generation(), time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == stamp and cached[1] > clock:
        return cached[2]
    table = Automation.__table__
    rows: list[_Row] = [tuple(row) for row in conn.execute(  # type: ignore[misc]
        select(table.c.id, table.c.trigger, table.c.enabled_at, table.c.options)
        .where(table.c.shop_id == shop_id, table.c.enabled.is_(True)).order_by(table.c.id))]
    with _cache_lock:
        _cache[key] = (stamp, clock + CACHE_SECONDS, rows)
    return rows


def listening(config: Config, event: TriggerEvent, now: dt.datetime) -> list[int]:
    """Ids of the shop's automations that are on, listen to the event and for which it is fresh
    and dated by the change itself (:func:`time_known`); reads only, no write transaction."""
    with get_engine(config).connect() as conn:
        return _listening(config, conn, [event], now)[0]


def _listening(config: Config, conn: Connection, events: Sequence[TriggerEvent], now: dt.datetime) -> list[list[int]]:
    """:func:`listening` for each of ``events`` (all of one shop), on one connection."""
    triggers = get_registry().triggers.items
    candidates = [(automation_id, set(triggers[name].events), enabled_at, {**ENGINE_OPTIONS, **(saved or {})})
                  for automation_id, name, enabled_at, saved in _switched_on(config, conn, events[0].shop_id)
                  if name in triggers]
    found: list[list[int]] = []
    for event in events:
        kinds = event_kinds(event)
        ids = [automation_id for automation_id, listens, enabled_at, options in candidates
               if kinds & listens and is_fresh(event, enabled_at, options, now)]
        found.append(ids if ids and time_known(conn, event) else [])
    return found


def fire(config: Config, event: TriggerEvent, now: dt.datetime | None = None) -> Fired:
    """Write the messages ``event`` gives rise to, then have them sent when due."""
    return fire_many(config, [event], now)


def fire_many(config: Config, events: Sequence[TriggerEvent], now: dt.datetime | None = None) -> Fired:
    """:func:`fire` for many events at once (an ingested batch's): one transaction per shop, and
    per automation one write of the messages all its events give rise to, each due at its own
    event's time plus the delay; the first event wins a dedupe key two of them share."""
    now = now or utcnow()
    fired = Fired()
    by_shop: dict[int, list[TriggerEvent]] = {}
    for event in events:
        if may_fire(event, now):  # history: no query at all
            by_shop.setdefault(event.shop_id, []).append(event)
    for shop_events in by_shop.values():
        _fire_shop(config, shop_events, now, fired)
    _wake(config, fired, now)
    return fired


def _fire_shop(config: Config, events: list[TriggerEvent], now: dt.datetime, fired: Fired) -> None:
    with get_engine(config).connect() as conn:
        listened = _listening(config, conn, events, now)
    wanted: dict[int, list[TriggerEvent]] = {}
    for event, ids in zip(events, listened):
        for automation_id in ids:
            wanted.setdefault(automation_id, []).append(event)
    if not wanted:
        return
    triggers = get_registry().triggers.items
    with session_scope(config) as session:
        # The events' orders, read at once: triggers and template variables get each by key,
        # then from the session's identity map (kept alive by this list), not one query each.
        orders = _load_orders(session, events)
        for automation in session.scalars(select(Automation).where(Automation.id.in_(wanted),
                                                                   Automation.enabled.is_(True))
                                          .order_by(Automation.id)):
            trigger = triggers.get(automation.trigger)
            if trigger is None:
                continue
            options = options_of(trigger, automation)
            delay = dt.timedelta(seconds=automation.delay_seconds)
            try:
                timed = [(target, event.occurred_at + delay) for event in wanted[automation.id]
                         if is_fresh(event, automation.enabled_at, options, now)  # changed by another process?
                         for target in trigger.targets(session, event)]
                if not timed:
                    continue
                with session.begin_nested():
                    written = write(session, automation, trigger, timed, now)
                fired.written.setdefault(trigger.name, Written()).add(written)
            except Exception:  # a plugin's trigger that fails costs its own messages, not the others'
                log.exception("trigger %r failed on %d events for shop %s", trigger.name,
                              len(wanted[automation.id]), automation.shop_id)
        del orders


def _load_orders(session: Session, events: Sequence[TriggerEvent]) -> list[Order]:
    ids = {event.order_id for event in events if isinstance(event, OrderEvent)}
    if not ids:
        return []
    return list(session.scalars(select(Order).where(in_ids(Order.id, ids, session.get_bind().dialect.name))))


def fire_order_events(events: list[OrderEvent]) -> None:
    """The handler of the default plugin's ``on_order_event``: an ingested batch's events fired
    together (:mod:`shopcrm.event_batch`)."""
    fire_many(active_config(), events)


def _wake(config: Config, fired: Fired, now: dt.datetime) -> None:
    """Have what was written sent: at once what is due, the rest when it will be (one wake-up
    per second that has messages due in it, at its end: a batch's thousand reminders due
    within a few seconds of each other are a few scheduled jobs, not a thousand)."""
    from shopcrm.dispatch import kick, wake_at

    now_due = 0
    later: set[dt.datetime] = set()
    for written in fired.written.values():
        for moment, count in written.due.items():
            if moment <= now:
                now_due += count
            else:
                later.add(_end_of_second(moment))
    if now_due:
        kick(config, now_due)
    for moment in sorted(later):
        wake_at(config, moment)


def _end_of_second(moment: dt.datetime) -> dt.datetime:
    """``moment`` rounded up to a whole second."""
    whole = moment.replace(microsecond=0)
    return whole + dt.timedelta(seconds=1) if whole < moment else whole


def run_daily(config: Config, shop_id: int, now: dt.datetime | None = None) -> Fired:
    """Fire the shop's ``daily`` triggers for today."""
    now = now or utcnow()
    return fire(config, ScheduleEvent("daily", shop_id, now), now)


@job(DAILY_JOB, label="Daily care messages")
def daily_job(progress: Progress, shop_id: int) -> dict[str, Any]:
    """The shop's ``daily`` automations (birthdays, N days after a purchase ...); retried, it adds nothing."""
    progress.update(done=0, total=1, message="daily care messages", force=True)
    fired = run_daily(progress.config, shop_id)
    progress.advance(message="done")
    return fired.as_dict()


daily(DAILY_JOB, hour=DAILY_HOUR)

__all__ = ["DAILY_HOUR", "DAILY_JOB", "FRESHNESS", "Fired", "event_kinds", "fire", "fire_many", "fire_order_events",
           "is_fresh", "listening", "may_fire", "run_daily", "time_known"]
