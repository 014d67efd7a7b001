"""dashboard ranges: orders by payment time, customers by first order

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

The dashboard adds up a period's paid orders and counts the customers whose first order falls
in it. Without these indexes both read every order or customer the shop ever had; with them a
period is one index range (the orders' one covering the columns summed, so no row is fetched).
"""
from __future__ import annotations

from typing import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_COLUMNS = ["shop_id", "paid_at", "status", "customer_id", "paid_amount", "refund_amount"]


def upgrade() -> None:
    op.create_index("ix_order_shop_paid", "order", ORDER_COLUMNS, unique=False)
    op.create_index("ix_customer_shop_first_order", "customer", ["shop_id", "first_order_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_shop_first_order", table_name="customer")
    op.drop_index("ix_order_shop_paid", table_name="order")
