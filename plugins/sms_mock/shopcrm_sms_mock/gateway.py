"""What the sandbox does with a batch of submissions, and what it tells ``query``.

Each message, in order: a resend of an OutId the sandbox already decided is answered as before
(same gateway id, nothing stored twice; one the sandbox holds is counted as a duplicate send in
``resends``); an invalid number is rejected; then one reproducible draw picks a transient error
(``retry``), a permanent one (``rejected``), a timeout (``unknown``, the message kept or not by a
second draw) or acceptance; a message that would be kept past the per-number business limit is
rejected with ``isv.BUSINESS_LIMIT_CONTROL``.

A batch is stored with a handful of Core statements whatever its size, because the outbox sends
millions of messages through the sandbox: one SELECT of the rows its OutIds already have, one
grouped count for the business limits (none when every limit is off), one bulk write of the new
rows (:func:`shopcrm.bulk.write`: COPY on PostgreSQL, an ``executemany`` INSERT on SQLite), one
executemany UPDATE of the re-tried ``dropped`` rows and, only when OutIds the sandbox holds were
sent again, one executemany UPDATE adding to their ``resends``. No ORM object is built per
message.

``query`` (:func:`lookup`) tells the truth for reconciliation: ``accepted`` for a message the
sandbox holds, ``rejected`` for one it refused, ``retry`` with ``NOT_FOUND`` for one it does not
have, which is therefore safe to send again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from shopcrm import bulk
from shopcrm.channels import OutgoingMessage, SendResult
from shopcrm.mobiles import normalise_mobile
from shopcrm.sql import IDS, ids_value, in_ids_param
from shopcrm_sms_mock.behaviour import Behaviour, draw, gateway_id
from shopcrm_sms_mock.models import ACCEPTED, DROPPED, HELD, REJECTED, Submission

ILLEGAL_NUMBER = "isv.MOBILE_NUMBER_ILLEGAL"
BUSINESS_LIMIT = "isv.BUSINESS_LIMIT_CONTROL"
TRANSIENT = "isp.SYSTEM_ERROR"
TIMEOUT = "TIMEOUT"
NOT_FOUND = "NOT_FOUND"
KEPT_PERCENT = 50.0
"""Of the timeouts, the share the sandbox keeps all the same."""
WINDOWS = (dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1))

_TABLE = Submission.__table__
_COLUMNS = _TABLE.c
_NEW = ("message_id", "number", "text", "template_code", "template_params", "gateway_id", "status", "error_code",
        "attempts", "submitted_at", "due_at", "resends")
"""The columns of new rows: ``receipt_at`` is left out (NULL), every other one comes with each row."""


@lru_cache(maxsize=None)
def _known(dialect: str) -> Any:
    """What the table already has for a batch's OutIds (the ids as one parameter,
    :func:`shopcrm.sql.ids_value`), compiled once per database."""
    return (select(_COLUMNS.message_id, _COLUMNS.status, _COLUMNS.gateway_id, _COLUMNS.error_code,
                   _COLUMNS.attempts).where(in_ids_param(_COLUMNS.message_id, dialect)))


_DECIDED = ("number", "text", "template_code", "template_params", "gateway_id", "status", "error_code",
            "attempts", "submitted_at", "due_at")
"""The columns a decision sets, besides ``message_id``."""
_RETRY = (update(_TABLE).where(_COLUMNS.message_id == bindparam("out_id"))
          .values({**{name: bindparam(f"new_{name}", type_=_COLUMNS[name].type) for name in _DECIDED},
                   "receipt_at": None, "resends": _COLUMNS.resends + bindparam("added")}))
"""A re-tried ``dropped`` row decided anew (parameters ``new_<column>``, ``out_id``, ``added``)."""
_RESENT = (update(_TABLE).where(_COLUMNS.message_id == bindparam("out_id"))
           .values(resends=_COLUMNS.resends + bindparam("added")))
"""A held row sent again: only its duplicate count grows."""


@dataclass(slots=True)
class Decision:
    """What the sandbox answers, and what it keeps (``status`` of the row)."""

    answer: SendResult
    status: str
    code: str | None = None
    """The error code kept on the row, when it differs from the answer's."""


@dataclass(slots=True)
class _Known:
    """What a batch knows of one OutId: as stored before the batch, or as decided in it."""

    status: str
    gateway_id: str | None
    error_code: str | None
    attempts: int
    stored: bool
    """Whether the row exists in the table already (else the batch inserts it)."""


def limited(decision: Decision) -> Decision:
    """``decision`` for a number past its business limit: refused (a timeout stays unknown)."""
    answer = decision.answer
    if answer.status != "unknown":
        answer = SendResult(answer.message_id, "rejected", error_code=BUSINESS_LIMIT,
                            error="business limit of the number reached")
    return Decision(answer, REJECTED, BUSINESS_LIMIT)


def submit(session: Session, messages: Sequence[OutgoingMessage], behaviour: Behaviour,
           now: dt.datetime) -> list[SendResult]:
    """Store and answer ``messages`` as the sandbox gateway at time ``now`` (naive UTC).

    The statements run in ``session``'s transaction; the caller commits. An OutId that appears
    twice in ``messages`` is answered as if the two came in separate batches, in order.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    known = {message_id: _Known(status, gateway, code, attempts, True)
             for message_id, status, gateway, code, attempts in connection.execute(
                 _known(dialect), {IDS: ids_value((m.id for m in messages), dialect)})}
    limits = (behaviour.limit_per_minute, behaviour.limit_per_hour, behaviour.limit_per_day)
    counts: dict[str, list[int]] | None = None
    if any(limits):
        fresh = {m.to for m in messages if m.id not in known or known[m.id].status == DROPPED}
        counts = recent_counts(session, {n for n, valid in map(_number, fresh) if valid}, now)
    due = now + dt.timedelta(seconds=behaviour.delay_seconds)
    new: dict[int, dict[str, Any]] = {}
    retried: dict[int, dict[str, Any]] = {}
    resends: dict[int, int] = {}
    results: list[SendResult] = []
    for message in messages:
        row = known.get(message.id)
        if row is not None and row.status != DROPPED:
            if row.status in HELD:
                resends[message.id] = resends.get(message.id, 0) + 1
            results.append(_answer(message.id, row.status, row.gateway_id, row.error_code))
            continue
        attempt = row.attempts if row is not None else 0
        number, valid = _number(message.to)
        decision = decide(message, valid, attempt, behaviour)
        if counts is not None and decision.status == ACCEPTED:
            used = counts.setdefault(number, [0, 0, 0])
            if any(limit and count >= limit for count, limit in zip(used, limits)):
                decision = limited(decision)
            else:
                counts[number] = [count + 1 for count in used]
        accepted = decision.status == ACCEPTED
        gateway = (decision.answer.gateway_id or gateway_id(behaviour.seed, message.id, attempt)
                   if accepted else None)
        code = decision.code or decision.answer.error_code
        stored = row is not None and row.stored
        (retried if stored else new)[message.id] = {
            "message_id": message.id, "number": number, "text": message.text,
            "template_code": message.template_code, "template_params": dict(message.params) or None,
            "gateway_id": gateway, "status": decision.status, "error_code": code,
            "attempts": attempt + 1, "submitted_at": now, "due_at": due if accepted else None,
        }
        known[message.id] = _Known(decision.status, gateway, code, attempt + 1, stored)
        results.append(decision.answer)
    _write(connection, new, retried, resends)
    return results


def _write(connection: Connection, new: dict[int, dict[str, Any]], retried: dict[int, dict[str, Any]],
           resends: dict[int, int]) -> None:
    """The batch's writes: new rows, re-tried rows, then the duplicate counts of the others."""
    if new:
        for message_id, values in new.items():
            values["resends"] = resends.pop(message_id, 0)
        bulk.write(connection, _TABLE, _NEW, [tuple(values[name] for name in _NEW) for values in new.values()])
    if retried:
        connection.execute(_RETRY, [
            {"out_id": message_id, "added": resends.pop(message_id, 0),
             **{f"new_{name}": values[name] for name in _DECIDED}}
            for message_id, values in retried.items()])
    if resends:
        connection.execute(_RESENT, [{"out_id": message_id, "added": added}
                                     for message_id, added in resends.items()])


def decide(message: OutgoingMessage, valid: bool, attempt: int, behaviour: Behaviour) -> Decision:
    """The simulated outcome of one try (``attempt`` counts the earlier ones), before limits."""
    if not valid:
        return Decision(SendResult(message.id, "rejected", error_code=ILLEGAL_NUMBER,
                                   error="not an 11-digit mainland mobile number"), REJECTED)
    roll = draw(behaviour.seed, message.id, "outcome", attempt)
    edge = behaviour.transient_percent
    if roll < edge:
        return Decision(SendResult(message.id, "retry", error_code=TRANSIENT,
                                   error="simulated transient error"), DROPPED)
    edge += behaviour.permanent_percent
    if roll < edge:
        return Decision(SendResult(message.id, "rejected", error_code=ILLEGAL_NUMBER,
                                   error="simulated permanent error"), REJECTED)
    edge += behaviour.unknown_percent
    if roll < edge:
        kept = draw(behaviour.seed, message.id, "kept", attempt) < KEPT_PERCENT
        return Decision(SendResult(message.id, "unknown", error_code=TIMEOUT, error="simulated timeout"),
                        ACCEPTED if kept else DROPPED)
    return Decision(SendResult(message.id, "accepted",
                               gateway_id=gateway_id(behaviour.seed, message.id, attempt)), ACCEPTED)


def answer_again(row: Submission) -> SendResult:
    """The answer to a resend of a message the sandbox already decided."""
    return _answer(row.message_id, row.status, row.gateway_id, row.error_code)


def _answer(message_id: int, status: str, gateway: str | None, code: str | None) -> SendResult:
    if status in HELD:
        return SendResult(message_id, "accepted", gateway_id=gateway)
    return SendResult(message_id, "rejected", error_code=code, error="refused before")


def recent_counts(session: Session, numbers: Iterable[str], now: dt.datetime) -> dict[str, list[int]]:
    """Messages each number was sent in the last minute, hour and day (one grouped query)."""
    numbers = list(numbers)
    if not numbers:
        return {}
    since = {f"since_{i}": now - window for i, window in enumerate(WINDOWS)}
    return {number: [int(c or 0) for c in rest]
            for number, *rest in session.connection().execute(_COUNTS, {"numbers": numbers, **since})}


_COUNTS = (select(_COLUMNS.number,
                  *[func.sum(case((and_(_COLUMNS.submitted_at > bindparam(f"since_{i}"),
                                        _COLUMNS.status.in_(HELD)), 1), else_=0))
                    for i in range(len(WINDOWS))])
           .where(_COLUMNS.number.in_(bindparam("numbers", expanding=True)),
                  _COLUMNS.submitted_at > bindparam(f"since_{len(WINDOWS) - 1}"))
           .group_by(_COLUMNS.number))
"""The grouped count behind :func:`recent_counts`. The status test sits in the sums, not in
WHERE, so that the only index the database can pick is the one on ``number`` (SQLite would
otherwise scan the ``(status, due_at)`` index across every held message)."""


def lookup(session: Session, message_ids: Sequence[int]) -> list[SendResult]:
    """What the sandbox really holds for each OutId: the answer ``query`` gives.

    A message it holds (accepted, delivered or failed) is ``accepted`` with its gateway id; one
    it refused is ``rejected`` with the stored code; one it does not have (never received, or
    ``dropped`` by a transient error or a timeout that lost it) is ``retry`` with ``NOT_FOUND``:
    the gateway has nothing under that OutId, so sending it again cannot make a duplicate.
    """
    dialect = session.get_bind().dialect.name
    rows = {message_id: (status, gateway, code) for message_id, status, gateway, code, _ in session.execute(
        _known(dialect), {IDS: ids_value(message_ids, dialect)})}
    results = []
    for message_id in message_ids:
        row = rows.get(message_id)
        if row is None or row[0] == DROPPED:
            results.append(SendResult(message_id, "retry", error_code=NOT_FOUND,
                                      error="the sandbox has no message with this OutId"))
        else:
            results.append(_answer(message_id, *row))
    return results


def duplicate_count(session: Session) -> int:
    """Duplicate sends: how many times OutIds were submitted again while the sandbox held them.

    A real gateway would have delivered each of them a second time, so for an outbox that sends
    exactly once this stays 0. It reads only the rows of the partial index on ``resends > 0``.
    """
    return int(session.scalar(select(func.coalesce(func.sum(_COLUMNS.resends), 0))
                              .where(_COLUMNS.resends > 0)) or 0)


def _number(raw: str) -> tuple[str, bool]:
    """``(number as stored, valid)``; a plain 11-digit mainland number, the outbox's usual form,
    skips the full normalisation (which would return it unchanged)."""
    if len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1" and raw[1] in "3456789":
        return raw, True
    number, valid = normalise_mobile(raw)
    return (number or raw or "")[:32], valid
