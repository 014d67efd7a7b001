"""A shop: the unit every customer, order and message belongs to."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Shop(Base):
    __tablename__ = "shop"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    sms_signature: Mapped[str] = mapped_column(String(40), default="", server_default="")
    """The 【signature】 every SMS carries, without the brackets."""
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE, server_default=DEFAULT_TIMEZONE)
    created_at: Mapped[dt.datetime] = created_at_column()
