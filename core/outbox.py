"""The outbox: claiming messages, handing them to their channel, and recording what came back.

Every message is a ``message`` row before anything is sent. :func:`send_due` is one batch:

1. **claim**: up to ``limit`` due ``pending`` rows become ``sending`` in one statement (on
   PostgreSQL ``FOR UPDATE SKIP LOCKED``, so workers never claim the same row; SQLite has one
   writer at a time). ``send_after`` of a claimed row becomes its *lease*: the moment after which
   it counts as abandoned by a worker that died (extended while a throttled or slow batch is still
   being sent);
2. numbers opted out of the channel since the row was written are ``skipped``; marketing in the
   shop's quiet hours goes back to ``pending`` until they end; an automation's message that no
   longer applies is ``skipped`` and its notifications wait for the morning too
   (:mod:`shopcrm.automation_checks`);
3. the text is filled for each customer (:mod:`shopcrm.message_text`), the channel's throttle is
   respected, and ``Channel.send_batch`` gets ``max_batch`` messages at a time;
4. **record**: ``accepted`` -> ``sent``; ``rejected`` -> ``failed``; ``retry`` -> ``pending``
   again after a back-off (``failed`` after :data:`MAX_ATTEMPTS` tries); ``unknown`` stays
   ``sending`` and is asked about with ``Channel.query`` (:func:`reconcile`), never resent
   blindly. A channel that raises is an ``unknown`` for the whole chunk, for the same reason.

:func:`reconcile` takes ``sending`` rows whose lease ran out (their worker died) or whose outcome
was unknown, and asks the channel: ``accepted`` -> ``sent``, ``rejected`` -> ``failed``,
``retry`` (the gateway does not have it) -> ``pending``, ``unknown`` -> asked again later, and
``failed`` once :data:`GIVE_UP_AFTER` has passed without an answer.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shopcrm import channel_settings
from shopcrm.automation_checks import hold
from shopcrm.bulk import update_by_key
from shopcrm.channels import Channel, MessageEvent, OutgoingMessage, SendResult
from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.message_text import Filled, campaign_source, fill
from shopcrm.models import Message
from shopcrm.opt_outs import opted_out
from shopcrm.registry import get_registry
from shopcrm.sending_policy import load as load_policy
from shopcrm.sending_policy import shop_quiet_until
from shopcrm.throttle import throttle_for

log = logging.getLogger(__name__)

BATCH = 1000
"""Rows one claim takes (the channel gets them ``max_batch`` at a time)."""
LEASE = dt.timedelta(minutes=5)
"""How long a claimed row may stay ``sending`` before it counts as abandoned
(``SHOPCRM_SEND_LEASE_SECONDS`` overrides it)."""
QUERY_AFTER = dt.timedelta(seconds=30)
"""How long after an ``unknown`` answer the channel is first asked what became of the message."""
GIVE_UP_AFTER = dt.timedelta(hours=24)
MAX_ATTEMPTS = 6
MAX_BACKOFF = dt.timedelta(minutes=10)

_table = Message.__table__


def lease(config: Config) -> dt.timedelta:
    seconds = config.extra.get("SEND_LEASE_SECONDS")
    return dt.timedelta(seconds=float(seconds)) if seconds else LEASE


def backoff(attempts: int) -> dt.timedelta:
    """Wait before try ``attempts + 1``: 2 s, 4 s, 8 s ... at most :data:`MAX_BACKOFF`."""
    return min(dt.timedelta(seconds=2 ** max(1, attempts)), MAX_BACKOFF)


@dataclass(slots=True, frozen=True)
class Claimed:
    id: int
    shop_id: int
    customer_id: int | None
    campaign_id: int | None
    channel: str
    to: str
    text: str
    subject: str | None
    is_marketing: bool
    attempts: int
    sent_at: dt.datetime | None
    """When the row was first handed to its channel (the claim that sent it)."""


@dataclass(slots=True)
class Outcome:
    """What one :func:`send_due` or :func:`reconcile` did, by row counts."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    unknown: int = 0
    skipped: int = 0
    deferred: int = 0
    wake_at: dt.datetime | None = None
    """The earliest moment a row put back for later is due (retry, quiet hours, unknown)."""
    campaigns: set[int] = field(default_factory=set)

    def later(self, moment: dt.datetime) -> None:
        self.wake_at = moment if self.wake_at is None else min(self.wake_at, moment)

    def as_dict(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "sent": self.sent, "failed": self.failed, "retry": self.retry,
                "unknown": self.unknown, "skipped": self.skipped, "deferred": self.deferred}


_COLUMNS = (_table.c.id, _table.c.shop_id, _table.c.customer_id, _table.c.campaign_id, _table.c.channel,
            _table.c.to, _table.c.text, _table.c.subject, _table.c.is_marketing, _table.c.attempts, _table.c.sent_at)


def _take(session: Session, status: str, now: dt.datetime, limit: int, until: dt.datetime,
          stamp_sent: bool) -> list[Claimed]:
    """Rows of ``status`` due by ``now`` become ``sending`` with ``send_after = until``, the
    longest due first.

    The due rows are found in the ``(status, send_after)`` index, in its order, so a claim reads
    the entries it takes, not the rows already sent before them. On PostgreSQL they are handed
    to the update as one array (``id = ANY(ARRAY(...))``), which looks each up by key: with
    ``IN (subquery)`` the planner joins them to the whole table, reading every message ever
    written, once per batch (72 ms a batch at 200,000 messages, and growing)."""
    due = (select(_table.c.id).where(_table.c.status == status, _table.c.send_after <= now)
           .order_by(_table.c.send_after).limit(limit).with_for_update(skip_locked=True)).scalar_subquery()
    values: dict[str, Any] = {"status": "sending", "send_after": until, "updated_at": now}
    if stamp_sent:
        values["sent_at"] = now
    if session.get_bind().dialect.name == "postgresql":
        taken = _table.c.id == func.any(func.array(due))
    else:
        taken = _table.c.id.in_(due)
    rows = session.execute(update(_table).where(taken).values(**values).returning(*_COLUMNS))
    return [Claimed(*row) for row in rows]


def claim(session: Session, now: dt.datetime, limit: int, until: dt.datetime) -> list[Claimed]:
    """Take up to ``limit`` due ``pending`` rows for sending (see the module's docstring)."""
    return _take(session, "pending", now, limit, until, stamp_sent=True)


_RECORDED = ("id", "status", "skip_reason", "text", "parts", "attempts", "gateway_id", "error_code", "error",
             "send_after")


def _row(message: Claimed, status: str, now: dt.datetime, text: str | None = None, parts: int | None = None,
         attempts: int | None = None, gateway_id: str | None = None, error_code: str | None = None,
         error: str | None = None, send_after: dt.datetime | None = None,
         skip_reason: str | None = None) -> dict[str, Any]:
    return {"b_id": message.id, "b_status": status, "b_skip_reason": skip_reason,
            "b_text": message.text if text is None else text, "b_parts": parts or 0,
            "b_attempts": message.attempts if attempts is None else attempts, "b_gateway_id": gateway_id,
            "b_error_code": error_code, "b_error": (error or "")[:2000] or None, "b_send_after": send_after,
            "b_now": now}


def record(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write what happened to claimed rows in one bulk update (only rows still ``sending`` change)."""
    if rows:
        write_back = [tuple(row[f"b_{name}"] for name in _RECORDED) for row in rows]
        update_by_key(session.connection(), _table, _RECORDED, write_back, guard=("status", "sending"),
                      fixed={"updated_at": rows[0]["b_now"]})


def _result_row(message: Claimed, result: SendResult, text: str, parts: int, now: dt.datetime,
                outcome: Outcome, attempts: int, give_up: bool = False) -> dict[str, Any]:
    if result.status == "accepted":
        outcome.sent += 1
        return _row(message, "sent", now, text, parts, attempts, gateway_id=result.gateway_id)
    if result.status == "rejected":
        outcome.failed += 1
        return _row(message, "failed", now, text, parts, attempts, error_code=result.error_code,
                    error=result.error)
    if result.status == "retry":
        if attempts >= MAX_ATTEMPTS:
            outcome.failed += 1
            return _row(message, "failed", now, text, parts, attempts, error_code=result.error_code,
                        error=f"gave up after {attempts} tries: {result.error or result.error_code or 'retry'}")
        outcome.retry += 1
        wake = now + backoff(attempts)
        outcome.later(wake)
        row = _row(message, "pending", now, text, parts, attempts, error_code=result.error_code,
                   error=result.error, send_after=wake)
        return row
    if give_up:
        outcome.failed += 1
        return _row(message, "failed", now, text, parts, attempts, error_code=result.error_code or "unknown",
                    error="the gateway never said whether it had the message; not resent")
    outcome.unknown += 1
    wake = now + QUERY_AFTER
    outcome.later(wake)
    return _row(message, "sending", now, text, parts, attempts, error_code=result.error_code or "unknown",
                error=result.error, send_after=wake)


def _channel(name: str) -> Channel | None:
    return get_registry().channels.items.get(name)


def _fill_texts(session: Session, shop_id: int, rows: Sequence[Claimed], policy: Any) -> dict[int, Filled]:
    """The text of each row: its own when written with one, else its campaign's for its customer."""
    filled: dict[int, Filled] = {}
    by_campaign: dict[int, list[Claimed]] = defaultdict(list)
    for row in rows:
        if row.text or row.campaign_id is None or row.customer_id is None:
            filled[row.id] = Filled(row.text, subject=row.subject)
        else:
            by_campaign[row.campaign_id].append(row)
    for campaign_id, members in by_campaign.items():
        texts = fill(session, shop_id, campaign_source(session, campaign_id),
                     [m.customer_id for m in members if m.customer_id is not None], policy)
        for member in members:
            filled[member.id] = texts.get(member.customer_id or 0, Filled(""))
    return filled


def _hold(message: Claimed, until: dt.datetime | None, now: dt.datetime, outcome: Outcome,
          updates: list[dict[str, Any]]) -> None:
    """An automation's message :func:`~shopcrm.automation_checks.hold` stopped: skipped, or back
    to ``pending`` until ``until``."""
    if until is None:
        outcome.skipped += 1
        updates.append(_row(message, "skipped", now, skip_reason="no_longer_applies"))
        return
    outcome.deferred += 1
    outcome.later(until)
    updates.append(_row(message, "pending", now, send_after=until))


def _extend_lease(config: Config, rows: Sequence[Claimed], until: dt.datetime) -> None:
    """Extend the lease of claimed rows to ``until``, so the sweep never takes rows for abandoned
    (and, the gateway not having them yet, sends them again) while their worker still sends."""
    with session_scope(config) as session:
        session.execute(update(_table).where(_table.c.id.in_([m.id for m in rows]), _table.c.status == "sending")
                        .values(send_after=until))


def _send_group(config: Config, shop_id: int, channel_name: str, rows: list[Claimed], now: dt.datetime,
                outcome: Outcome, redis: Any | None) -> list[dict[str, Any]]:
    """Send one shop's claimed rows of one channel; the rows to record."""
    updates: list[dict[str, Any]] = []
    channel = _channel(channel_name)
    if channel is None:
        outcome.failed += len(rows)
        return [_row(m, "failed", now, error_code="no_channel",
                     error=f"no channel named {channel_name!r} is installed") for m in rows]
    with session_scope(config) as session:
        policy = load_policy(session, shop_id)
        stopped = opted_out(session, shop_id, channel_name, {m.to for m in rows})
        quiet = shop_quiet_until(session, shop_id, now) if any(m.is_marketing for m in rows) else None
        held = hold(session, shop_id, rows, now)  # automations: {id: None} no longer applies, {id: until} night
        keep = []
        for message in rows:
            if message.to in stopped:
                outcome.skipped += 1
                updates.append(_row(message, "skipped", now, skip_reason="opted_out"))
            elif message.id in held:
                _hold(message, held[message.id], now, outcome, updates)
            elif quiet is not None and message.is_marketing:
                outcome.deferred += 1
                outcome.later(quiet)
                updates.append(_row(message, "pending", now, send_after=quiet))
            else:
                keep.append(message)
        texts = _fill_texts(session, shop_id, keep, policy) if keep else {}
        settings = channel_settings.load(session, config, channel_name, shop_id) if keep else {}
    throttle = throttle_for(f"{channel_name}:{shop_id}", settings.get("rate_per_second", 0) or 0, redis)
    size = max(1, int(channel.max_batch))
    held_until = now + lease(config)
    for start in range(0, len(keep), size):
        chunk = keep[start:start + size]
        outgoing = [OutgoingMessage(m.id, m.to, texts[m.id].text, texts[m.id].template_code,
                                    texts[m.id].params, texts[m.id].subject) for m in chunk]
        delay = throttle.reserve(len(chunk))
        ready = utcnow() + dt.timedelta(seconds=delay)
        if ready + lease(config) / 2 > held_until:  # a throttled or slow batch outlasting its lease
            held_until = ready + lease(config)
            _extend_lease(config, rows, held_until)
        if delay > 0:
            time.sleep(delay)
        try:
            results = {r.message_id: r for r in channel.send_batch(outgoing, settings)}
        except Exception as exc:  # the gateway may have some of them: ask, never resend blindly
            log.exception("channel %s failed on a batch of %d", channel_name, len(chunk))
            results = {m.id: SendResult(m.id, "unknown", error_code="exception", error=f"{type(exc).__name__}: {exc}")
                       for m in chunk}
        for message, out in zip(chunk, outgoing):
            result = results.get(message.id) or SendResult(message.id, "unknown", error="no answer for this message")
            updates.append(_result_row(message, result, out.text, channel.count_segments(out.text), now,
                                       outcome, message.attempts + 1))
    return updates


def send_due(config: Config, limit: int = BATCH, now: dt.datetime | None = None,
             redis: Any | None = None) -> Outcome:
    """Claim, send and record one batch of due messages (see the module's docstring)."""
    now = now or utcnow()
    outcome = Outcome()
    with session_scope(config) as session:
        rows = claim(session, now, limit, now + lease(config))
    outcome.claimed = len(rows)
    if not rows:
        return outcome
    groups: dict[tuple[int, str], list[Claimed]] = defaultdict(list)
    for row in rows:
        groups[(row.shop_id, row.channel)].append(row)
        if row.campaign_id is not None:
            outcome.campaigns.add(row.campaign_id)
    updates: list[dict[str, Any]] = []
    try:
        for (shop_id, channel_name), members in groups.items():
            updates += _send_group(config, shop_id, channel_name, members, now, outcome, redis)
    finally:  # whatever was decided is kept, even when a later group fails
        with session_scope(config) as session:
            record(session, updates)
    return outcome


def reconcile(config: Config, now: dt.datetime | None = None, limit: int = BATCH) -> Outcome:
    """Ask channels about ``sending`` rows past their lease or with an unknown outcome."""
    now = now or utcnow()
    outcome = Outcome()
    with session_scope(config) as session:
        rows = _take(session, "sending", now, limit, now + lease(config), stamp_sent=False)
    outcome.claimed = len(rows)
    groups: dict[tuple[int, str], list[Claimed]] = defaultdict(list)
    for row in rows:
        groups[(row.shop_id, row.channel)].append(row)
        if row.campaign_id is not None:
            outcome.campaigns.add(row.campaign_id)
    updates: list[dict[str, Any]] = []
    for (shop_id, channel_name), members in groups.items():
        channel = _channel(channel_name)
        with session_scope(config) as session:
            settings = channel_settings.load(session, config, channel_name, shop_id) if channel else {}
            texts = _fill_texts(session, shop_id, [m for m in members if not m.text], load_policy(session, shop_id))
        size = max(1, int(channel.max_batch)) if channel else len(members)
        for start in range(0, len(members), size):
            chunk = members[start:start + size]
            outgoing = [OutgoingMessage(m.id, m.to, m.text or texts[m.id].text, sent_at=m.sent_at) for m in chunk]
            try:
                answers = {r.message_id: r for r in channel.query(outgoing, settings)} if channel else {}
            except Exception as exc:
                log.warning("channel %s could not be asked about %d messages: %s", channel_name, len(chunk), exc)
                answers = {}
            for message, out in zip(chunk, outgoing):
                answer = answers.get(message.id) or SendResult(message.id, "unknown")
                if answer.status == "retry":  # the gateway does not have it: send it again
                    outcome.retry += 1
                    updates.append(_row(message, "pending", now, text=out.text, error_code=answer.error_code,
                                        error=answer.error, send_after=now))
                    continue
                started = message.sent_at or now
                parts = channel.count_segments(out.text) if channel else 0
                updates.append(_result_row(message, answer, out.text, parts, now, outcome, message.attempts,
                                           give_up=now - started >= GIVE_UP_AFTER))
    with session_scope(config) as session:
        record(session, updates)
    return outcome


def apply_receipt(session: Session, event: MessageEvent) -> int:
    """Mark the message a delivery receipt is about ``delivered`` or ``failed``; rows changed."""
    if event.kind not in ("delivered", "failed"):
        return 0
    if event.message_id is not None:
        where = [_table.c.id == event.message_id]
    elif event.gateway_id:
        where = [_table.c.channel == event.channel, _table.c.gateway_id == event.gateway_id]
        if event.mobile:
            where.append(_table.c.to == event.mobile)
    else:
        return 0
    values: dict[str, Any] = {"status": event.kind, "updated_at": utcnow()}
    if event.kind == "delivered":
        values["delivered_at"] = event.occurred_at or utcnow()
    else:
        values["error_code"] = event.error_code or "failed"
    result = session.execute(update(_table).where(*where, _table.c.status.in_(("sending", "sent")))
                             .values(**values))
    return int(result.rowcount or 0)


def pending_count(session: Session, now: dt.datetime) -> int:
    """Rows due to be sent now (what the dispatchers still have to do)."""
    return int(session.scalar(select(func.count()).select_from(_table)
                              .where(_table.c.status == "pending", _table.c.send_after <= now)) or 0)


def anything_due(config: Config, now: dt.datetime | None = None) -> bool:
    """Whether any pending row is due (the first entry of the claim index answers it)."""
    with session_scope(config) as session:
        return session.scalar(select(_table.c.id).where(_table.c.status == "pending",
                                                        _table.c.send_after <= (now or utcnow())).limit(1)) is not None


def next_due(session: Session) -> dt.datetime | None:
    """The earliest ``send_after`` of a pending row (deferred ones included)."""
    return session.scalar(select(func.min(_table.c.send_after)).where(_table.c.status == "pending"))


__all__ = ["BATCH", "Claimed", "LEASE", "MAX_ATTEMPTS", "Outcome", "anything_due", "apply_receipt", "backoff", "claim",
           "lease", "next_due", "pending_count", "reconcile", "record", "send_due"]
