"""Customers, with the order rollups the core keeps current on every order write."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column, updated_at_column


def customer_identity(platform_id: str | None, mobile: str | None) -> str | None:
    """What makes a customer one person in a shop: the platform id, else ``tel:<mobile>``."""
    if platform_id:
        return platform_id
    if mobile:
        return f"tel:{mobile}"
    return None


def _default_identity(context: Any) -> str:
    params = context.get_current_parameters()
    identity = customer_identity(params.get("platform_id"), params.get("mobile"))
    if identity is None:
        raise ValueError("a customer needs a platform id or a mobile")
    return identity


class Customer(Base):
    """A buyer of one shop.

    Rollups (see :mod:`shopcrm.rollups`) count orders whose money the shop kept (paid,
    shipped, signed, completed): ``order_count`` of them, ``total_paid`` (paid less refunded),
    and ``first_order_at``/``last_order_at`` (payment time, or creation time when unknown).
    """

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("shop_id", "identity"),
        Index("ix_customer_shop_platform_id", "shop_id", "platform_id"),
        Index("ix_customer_shop_mobile", "shop_id", "mobile"),
        Index("ix_customer_shop_mobile_tail", "shop_id", "mobile_tail"),
        # Who changed since a moment (relabelling after an import).
        Index("ix_customer_shop_updated", "shop_id", "updated_at", "id"),
        # Segment counts on the usual facts (recency, spend, orders, region, reachable) read this
        # index alone, a range of it when the rules bound the last order.
        Index("ix_customer_segment", "shop_id", "last_order_at", "total_paid", "order_count", "province",
              "sms_reachable"),
        # The dashboard's customer base and new customers of a period: a range of first orders.
        Index("ix_customer_shop_first_order", "shop_id", "first_order_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(120), default=_default_identity)
    """The platform id, or ``tel:<mobile>`` for a customer known only by a mobile
    (:func:`customer_identity`); unique per shop."""
    platform_id: Mapped[str | None] = mapped_column(String(100))
    """The platform's id for the buyer, e.g. the Taobao buyer nick."""
    name: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))
    """Normalised mainland mobile (11 digits) when valid, else what the source gave."""
    mobile_tail: Mapped[str | None] = mapped_column(String(4))
    """The mobile's last four digits, indexed: operators search customers by them."""
    sms_reachable: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    email: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(1))
    province: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(300))
    """The latest delivery address."""
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    tags: Mapped[list[str]] = mapped_column(default=list)
    first_order_at: Mapped[dt.datetime | None]
    last_order_at: Mapped[dt.datetime | None]
    order_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_paid: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()
