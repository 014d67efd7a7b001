"""Settings kept in the database: per shop, per plugin or channel, secrets encrypted."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, updated_at_column


class Setting(Base):
    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("namespace", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(String(80))
    """``shop:<id>``, ``channel:<name>:<shop id>``, ``plugin:<name>`` ..."""
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    """Secret values are stored encrypted with the instance key and never shown back."""
    updated_at: Mapped[dt.datetime] = updated_at_column()
