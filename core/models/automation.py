"""Automations: a trigger switched on for a shop, with its delay, template and channel."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column, updated_at_column


class Automation(Base):
    __tablename__ = "automation"
    __table_args__ = (UniqueConstraint("shop_id", "trigger"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled_at: Mapped[dt.datetime | None]
    """Events older than this fire nothing: importing history never messages anyone."""
    delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(40))
    template_text: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str | None] = mapped_column(String(200))
    """The subject of its messages through an email channel, with ``${var}`` placeholders (none:
    the channel's default subject)."""
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()
