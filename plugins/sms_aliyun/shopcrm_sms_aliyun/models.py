"""Pushes already received, so that a push Aliyun sends again is not handed on twice.

One row per receipt or reply: ``kind`` is the event's kind (``delivered``, ``failed``,
``replied``) and ``key`` what identifies the item (BizId, OutId and number for a receipt;
sequence id and number for a reply). ``(shop_id, kind, key)`` is unique.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models import Base
from shopcrm.models.base import created_at_column


class ReceivedPush(Base):
    """One receipt or reply that has been handed to the core."""

    __tablename__ = "sms_aliyun_push"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "key", name="uq_sms_aliyun_push_shop_id_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(400))
    received_at: Mapped[dt.datetime] = created_at_column()
