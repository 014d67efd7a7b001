"""The sandbox's own tables: every submission it received, and the replies its phones sent.

``sms_mock_submission`` has one row per OutId (``message_id`` is unique), so a resend of the
same message is recognised and answered with the gateway id it got the first time. Statuses:

* ``accepted``: the sandbox holds it; a receipt is due at ``due_at``;
* ``delivered`` / ``failed``: its receipt was sent (``receipt_at``);
* ``rejected``: refused for good (invalid number, business limit, a simulated permanent error);
* ``dropped``: the sandbox does not hold it (a transient error, or a timeout that lost it), so
  the message may be sent again; ``attempts`` counts the tries, which keeps the next try's
  simulated outcome reproducible yet different.

``resends`` counts the duplicate sends of a message: submissions of its OutId again while the
sandbox held it (a real gateway would have delivered it once more each time).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models import Base

ACCEPTED = "accepted"
DELIVERED = "delivered"
FAILED = "failed"
REJECTED = "rejected"
DROPPED = "dropped"
STATUSES: tuple[str, ...] = (ACCEPTED, DELIVERED, FAILED, REJECTED, DROPPED)
HELD: tuple[str, ...] = (ACCEPTED, DELIVERED, FAILED)
"""The statuses of messages the sandbox really has (and counts towards the business limit)."""


class Submission(Base):
    """One message the sandbox was asked to send."""

    __tablename__ = "sms_mock_submission"
    __table_args__ = (
        Index("ix_sms_mock_submission_number", "number", "id"),
        Index("ix_sms_mock_submission_status_due", "status", "due_at"),
        Index("ix_sms_mock_submission_resent", "resends", sqlite_where=sql("resends > 0"),
              postgresql_where=sql("resends > 0")),
    )
    """``ix_sms_mock_submission_resent`` holds only the rows sent twice, so counting duplicate sends
    reads those few rows rather than the whole table."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, unique=True)
    """The OutId: the outbox message's id."""
    number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    template_code: Mapped[str | None] = mapped_column(String(64))
    template_params: Mapped[dict[str, str] | None] = mapped_column(JSON)
    gateway_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    """One of :data:`STATUSES`."""
    error_code: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    """Submissions of this OutId again while the sandbox held it: duplicate sends."""
    submitted_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime | None]
    """When the delivery receipt is due (accepted messages only)."""
    receipt_at: Mapped[dt.datetime | None]


class Reply(Base):
    """A text a sandbox phone sent back."""

    __tablename__ = "sms_mock_reply"
    __table_args__ = (Index("ix_sms_mock_reply_number", "number", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime]
