"""What the sandbox does with a batch of submissions, and what it tells ``query``.

Each message, in order: a resend of an OutId the sandbox already decided is answered as before
(same gateway id, nothing stored twice); an invalid number is rejected; then one reproducible
draw picks a transient error (``retry``), a permanent one (``rejected``), a timeout
(``unknown``, the message kept or not by a second draw) or acceptance; a message that would be
kept past the per-number business limit is rejected with ``isv.BUSINESS_LIMIT_CONTROL``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shopcrm.channels import OutgoingMessage, SendResult
from shopcrm.mobiles import normalise_mobile
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


@dataclass(slots=True)
class Decision:
    """What the sandbox answers, and what it keeps (``status`` of the row)."""

    answer: SendResult
    status: str
    code: str | None = None
    """The error code kept on the row, when it differs from the answer's."""


def limited(decision: Decision) -> Decision:
    """``decision`` for a number past its business limit: refused (a timeout stays unknown)."""
    answer = decision.answer
    if answer.status != "unknown":
        answer = SendResult(answer.message_id, "rejected", error_code=BUSINESS_LIMIT,
                            error="business limit of the number reached")
    return Decision(answer, REJECTED, BUSINESS_LIMIT)


def submit(session: Session, messages: Sequence[OutgoingMessage], behaviour: Behaviour,
           now: dt.datetime) -> list[SendResult]:
    """Store and answer ``messages`` as the sandbox gateway at time ``now`` (naive UTC)."""
    rows = {row.message_id: row for row in session.scalars(
        select(Submission).where(Submission.message_id.in_([m.id for m in messages])))}
    numbers = {m.id: _number(m.to) for m in messages}
    counts = recent_counts(session, {n for n, valid in numbers.values() if valid}, now)
    limits = (behaviour.limit_per_minute, behaviour.limit_per_hour, behaviour.limit_per_day)
    results: list[SendResult] = []
    for message in messages:
        row = rows.get(message.id)
        if row is not None and row.status != DROPPED:
            results.append(answer_again(row))
            continue
        attempt = row.attempts if row is not None else 0
        number, valid = numbers[message.id]
        decision = decide(message, valid, attempt, behaviour)
        if decision.status == ACCEPTED:
            used = counts.setdefault(number, [0, 0, 0])
            if any(limit and count >= limit for count, limit in zip(used, limits)):
                decision = limited(decision)
            else:
                counts[number] = [count + 1 for count in used]
        rows[message.id] = _store(session, row, message, number, decision, attempt, behaviour, now)
        results.append(decision.answer)
    session.flush()
    return results


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
    if row.status in HELD:
        return SendResult(row.message_id, "accepted", gateway_id=row.gateway_id)
    return SendResult(row.message_id, "rejected", error_code=row.error_code, error="refused before")


def recent_counts(session: Session, numbers: Iterable[str], now: dt.datetime) -> dict[str, list[int]]:
    """Messages each number was sent in the last minute, hour and day (one grouped query)."""
    numbers = list(numbers)
    if not numbers:
        return {}
    since = [now - window for window in WINDOWS]
    query = (select(Submission.number,
                    *[func.sum(case((Submission.submitted_at > start, 1), else_=0)) for start in since])
             .where(Submission.number.in_(numbers), Submission.status.in_(HELD),
                    Submission.submitted_at > since[-1])
             .group_by(Submission.number))
    return {number: [int(c or 0) for c in rest] for number, *rest in session.execute(query)}


def lookup(session: Session, message_ids: Sequence[int]) -> list[SendResult]:
    """What the sandbox really holds for each OutId: the answer ``query`` gives."""
    rows = {row.message_id: row for row in session.scalars(
        select(Submission).where(Submission.message_id.in_(list(message_ids))))}
    results = []
    for message_id in message_ids:
        row = rows.get(message_id)
        if row is None or row.status == DROPPED:
            results.append(SendResult(message_id, "rejected", error_code=NOT_FOUND,
                                      error="the sandbox has no message with this OutId"))
        else:
            results.append(answer_again(row))
    return results


def _number(raw: str) -> tuple[str, bool]:
    number, valid = normalise_mobile(raw)
    return (number or raw or "")[:32], valid


def _store(session: Session, row: Submission | None, message: OutgoingMessage, number: str,
           decision: Decision, attempt: int, behaviour: Behaviour, now: dt.datetime) -> Submission:
    if row is None:
        row = Submission(message_id=message.id)
        session.add(row)
    accepted = decision.status == ACCEPTED
    row.number = number
    row.text = message.text
    row.template_code = message.template_code
    row.template_params = dict(message.params) or None
    row.status = decision.status
    row.gateway_id = gateway_id(behaviour.seed, message.id, attempt) if accepted else None
    row.error_code = decision.code or decision.answer.error_code
    row.attempts = attempt + 1
    row.submitted_at = now
    row.due_at = now + dt.timedelta(seconds=behaviour.delay_seconds) if accepted else None
    row.receipt_at = None
    return row
