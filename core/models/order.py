"""Orders and their items, with statuses normalised across platforms."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcrm.models.base import Base, created_at_column, updated_at_column


class Order(Base):
    __tablename__ = "order"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id"),
        # A customer's orders, and what RFM and tiers add up over them, read from the index alone.
        Index("ix_order_customer_paid", "customer_id", "status", "paid_at", "created_at", "paid_amount",
              "refund_amount"),
        Index("ix_order_shop_created", "shop_id", "created_at"),
        # The dashboard's sales over a period: a range of payment times, read from the index alone.
        Index("ix_order_shop_paid", "shop_id", "paid_at", "status", "customer_id", "paid_amount", "refund_amount"),
        # Whose orders changed since a moment (relabelling after an import), from the index alone.
        Index("ix_order_shop_updated", "shop_id", "updated_at", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    """One of :class:`shopcrm.sources.OrderStatus`."""
    total_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    refund_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]
    shipped_at: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    carrier: Mapped[str | None] = mapped_column(String(40))
    """The courier the parcel went with (物流公司), when the source says."""
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    """The parcel's waybill number (运单号), when the source says."""
    source: Mapped[str] = mapped_column(String(40), default="import")
    imported_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )


class OrderItem(Base):
    __tablename__ = "order_item"
    __table_args__ = (Index("ix_order_item_order", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    sku: Mapped[str | None] = mapped_column(String(100))
    platform_item_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal | None]

    order: Mapped[Order] = relationship(back_populates="items")
