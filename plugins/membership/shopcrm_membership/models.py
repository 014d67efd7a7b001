"""The points ledger: every change to a customer's points is one row, never a bare balance.

A customer's balance is the sum of their rows. Entry kinds:

* ``earn``: points for a paid order (one per order, ``order_id`` set);
* ``reverse``: the points of a refunded or closed order taken back (one per order);
* ``adjust``: a manual change by a user, with a reason;
* ``redeem``: points spent (negative), with a reason;
* ``expire``: points that outlived their validity, written by the expiry job.

``(order_id, kind)`` is unique, so replaying or re-importing an order never earns twice.
Credits (``earn``, positive ``adjust``) carry ``expires_at``; a ``reverse`` carries its
order's ``expires_at`` too, so that the expiry job counts an order's net points as one lot.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models import Base
from shopcrm.models.base import created_at_column

EARN = "earn"
REVERSE = "reverse"
ADJUST = "adjust"
REDEEM = "redeem"
EXPIRE = "expire"
KINDS: tuple[str, ...] = (EARN, REVERSE, ADJUST, REDEEM, EXPIRE)


class PointsEntry(Base):
    """One change to one customer's points."""

    __tablename__ = "membership_points"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", name="uq_membership_points_order_kind"),
        Index("ix_membership_points_customer", "customer_id", "id"),
        Index("ix_membership_points_shop_expires", "shop_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    """One of :data:`KINDS`."""
    points: Mapped[int] = mapped_column(Integer)
    """Positive for credits, negative for debits."""
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by_name: Mapped[str | None] = mapped_column(String(80))
    """The user's name as it was, kept when the user is deleted."""
    created_at: Mapped[dt.datetime] = created_at_column()
