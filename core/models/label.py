"""Labels segmenters give customers (RFM class, life stage, tier ...)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column


class CustomerLabel(Base):
    """One segmenter's label for one customer; a segmenter rewrites its own rows set-based."""

    __tablename__ = "customer_label"
    __table_args__ = (
        UniqueConstraint("customer_id", "segmenter"),
        Index("ix_customer_label_shop_segmenter_value", "shop_id", "segmenter", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    segmenter: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(60))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[dt.datetime] = created_at_column()
