"""Delivery receipts: accepted messages whose delay is over become delivered or failed.

Due rows are found through the ``(status, due_at)`` index, so a run with nothing due is one
cheap query. Each chunk is claimed with one ``UPDATE ... RETURNING`` per outcome guarded by
``status = 'accepted'``, so two runs at once never report the same receipt twice.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopcrm.channels import MessageEvent
from shopcrm_sms_mock.behaviour import Behaviour, draw
from shopcrm_sms_mock.channel import NAME
from shopcrm_sms_mock.models import ACCEPTED, DELIVERED, FAILED, Submission

CHUNK = 500
UNDELIVERED = "UNDELIV"
"""The error code of a simulated failed receipt (as carriers report it)."""


def due_receipts(session: Session, behaviour: Behaviour, now: dt.datetime,
                 limit: int = CHUNK) -> list[MessageEvent]:
    """Settle up to ``limit`` due messages in ``session``; the events to raise once committed."""
    due = session.scalars(select(Submission.message_id)
                          .where(Submission.status == ACCEPTED, Submission.due_at <= now)
                          .order_by(Submission.due_at, Submission.id).limit(limit)).all()
    failing = {m for m in due if draw(behaviour.seed, m, "receipt") < behaviour.failed_percent}
    failed = [m for m in due if m in failing]
    delivered = [m for m in due if m not in failing]
    events: list[MessageEvent] = []
    for kind, ids, code in ((DELIVERED, delivered, None), (FAILED, failed, UNDELIVERED)):
        if not ids:
            continue
        claimed = session.execute(
            update(Submission)
            .where(Submission.message_id.in_(ids), Submission.status == ACCEPTED)
            .values(status=kind, receipt_at=now, error_code=code, due_at=None)
            .returning(Submission.message_id, Submission.gateway_id, Submission.number)
        ).all()
        events += [MessageEvent(kind=kind, channel=NAME, message_id=message_id, gateway_id=gateway,
                                mobile=number, error_code=code, occurred_at=now)
                   for message_id, gateway, number in claimed]
    return events
