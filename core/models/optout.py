"""Opt-outs and inbound replies: nobody who said stop is messaged again on that channel."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column


class OptOut(Base):
    __tablename__ = "opt_out"
    __table_args__ = (UniqueConstraint("shop_id", "channel", "mobile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40))
    """``reply``, ``form``, ``import`` or ``operator``."""
    at: Mapped[dt.datetime] = created_at_column()


class Inbound(Base):
    """A reply a customer sent to the shop's number."""

    __tablename__ = "inbound"
    __table_args__ = (
        UniqueConstraint("channel", "gateway_id"),
        Index("ix_inbound_shop_received", "shop_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    gateway_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime] = created_at_column()
