"""Reading the sandbox's submissions back: newest first, in keyset pages, by number."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm_sms_mock.models import Reply, Submission


def submissions(session: Session, number: str | None = None, before: int | None = None,
                limit: int = 50) -> Sequence[Submission]:
    """Up to ``limit`` submissions, newest first, older than row id ``before`` when given."""
    query = select(Submission).order_by(Submission.id.desc()).limit(limit)
    if number:
        query = query.where(Submission.number == number)
    if before is not None:
        query = query.where(Submission.id < before)
    return session.scalars(query).all()


def replies(session: Session, number: str, limit: int = 200) -> Sequence[Reply]:
    """The latest replies a number sent, newest first."""
    return session.scalars(select(Reply).where(Reply.number == number)
                           .order_by(Reply.id.desc()).limit(limit)).all()
