"""The outbox: every message is a row here before anything is sent.

Rows move ``pending -> sending -> sent -> delivered | failed`` or end as ``skipped`` with a
reason. Unique keys make each recipient get one message: (campaign, customer) for campaigns,
(automation, dedupe key) for automations.

The ids of the shop, customer, campaign, automation and order a message is about carry no
foreign keys: a campaign writes its whole outbox in one statement, and PostgreSQL checked each
key of each row on its own, locking the customer row it named, which was more than half of
writing the outbox (migration 0013). Messages are written only from the rows they name, in the
same transaction or after them, and nothing deletes those rows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column, updated_at_column

MESSAGE_STATUSES = ("pending", "sending", "sent", "delivered", "failed", "skipped")
SKIP_REASONS = (
    "opted_out",
    "frequency_cap",
    "invalid_number",
    "control_group",
    "blacklisted",
    "low_responder",
    "no_longer_applies",
    "cancelled",
    "duplicate_number",
    "invalid_email",
    "duplicate_email",
)


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        # An automation's messages only: a campaign's rows (no automation) are not indexed here.
        Index("uq_message_automation_id_dedupe_key", "automation_id", "dedupe_key", unique=True,
              postgresql_where=text("automation_id IS NOT NULL"), sqlite_where=text("automation_id IS NOT NULL")),
        # Only the rows send jobs claim from (PostgreSQL; SQLite would not use it), and only the
        # rows receipts can name: a status change then touches one of them, not both.
        Index("ix_message_status_send_after", "status", "send_after",
              postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_message_customer_created", "customer_id", "created_at"),
        Index("ix_message_channel_gateway", "channel", "gateway_id",
              postgresql_where=text("gateway_id IS NOT NULL"), sqlite_where=text("gateway_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int]
    customer_id: Mapped[int | None]
    campaign_id: Mapped[int | None]
    automation_id: Mapped[int | None]
    order_id: Mapped[int | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40))
    to: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200))
    """An automation's email as rendered when written (a campaign's is filled at sending)."""
    is_marketing: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    skip_reason: Mapped[str | None] = mapped_column(String(40))
    parts: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    gateway_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    send_after: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()
