"""Delivery receipts: accepted messages whose delay is over become delivered or failed.

Due rows are found through the ``(status, due_at)`` index, oldest first, at most ``limit`` (a
chunk) at a time, so a run with nothing due is one cheap query and a million due messages are
never loaded at once: the job settles chunk after chunk, each in a transaction of its own.
A chunk is two statements per outcome at most: the due rows' ids are read, each drawn delivered
or failed (no draw at all when every receipt has the same outcome: no failed share, the usual
case, or all of them), and claimed by primary key with ``UPDATE ... RETURNING`` guarded by
``status = 'accepted'``, so two runs at once never report the same receipt twice. (Letting the
UPDATE choose its rows with a subquery made PostgreSQL hash-join against the whole table.)
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from shopcrm.channels import MessageEvent
from shopcrm_sms_mock.behaviour import Behaviour, draw
from shopcrm_sms_mock.channel import NAME
from shopcrm_sms_mock.models import ACCEPTED, DELIVERED, FAILED, Submission

CHUNK = 1000
"""Receipts settled per transaction by the job."""
UNDELIVERED = "UNDELIV"
"""The error code of a simulated failed receipt (as carriers report it)."""

_TABLE = Submission.__table__
_COLUMNS = _TABLE.c


def due_receipts(session: Session, behaviour: Behaviour, now: dt.datetime,
                 limit: int = CHUNK) -> list[MessageEvent]:
    """Settle up to ``limit`` due messages in ``session``; the events to raise once committed."""
    share = behaviour.failed_percent
    due = session.execute(_due(now, limit).add_columns(_COLUMNS.message_id)).all()
    if share <= 0 or share >= 100:  # every draw (0 <= draw < 100) gives the same outcome
        failing = {row_id for row_id, _ in due} if share >= 100 else set()
    else:
        failing = {row_id for row_id, message_id in due if draw(behaviour.seed, message_id, "receipt") < share}
    events: list[MessageEvent] = []
    for kind, ids, code in ((DELIVERED, [r for r, _ in due if r not in failing], None),
                            (FAILED, [r for r, _ in due if r in failing], UNDELIVERED)):
        if ids:
            events += _claim(session, ids, kind, code, now)
    return events


def _due(now: dt.datetime, limit: int) -> Select:
    """The ids of up to ``limit`` messages whose receipt is due at ``now``, oldest first."""
    return (select(_COLUMNS.id).where(_COLUMNS.status == ACCEPTED, _COLUMNS.due_at <= now)
            .order_by(_COLUMNS.due_at, _COLUMNS.id).limit(limit))


def _claim(session: Session, ids: list[int], kind: str, code: str | None, now: dt.datetime) -> list[MessageEvent]:
    """Mark the still-accepted messages among rows ``ids`` ``kind``; their events.

    The guard is written ``status || '' = 'accepted'`` so that no index can serve it: SQLite
    would otherwise walk the ``(status, due_at)`` index through every accepted message (a
    million, in a large campaign) to find the chunk's rows instead of fetching them by id."""
    claimed = session.execute(
        update(_TABLE).where(_COLUMNS.id.in_(ids), _COLUMNS.status.concat("") == ACCEPTED)
        .values(status=kind, receipt_at=now, error_code=code, due_at=None)
        .returning(_COLUMNS.message_id, _COLUMNS.gateway_id, _COLUMNS.number)).all()
    return [MessageEvent(kind=kind, channel=NAME, message_id=message_id, gateway_id=gateway, mobile=number,
                         error_code=code, occurred_at=now)
            for message_id, gateway, number in claimed]
