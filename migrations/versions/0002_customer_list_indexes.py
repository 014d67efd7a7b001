"""customer list indexes: keyset pagination by last order, total paid and creation; name prefix

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The list sorts newest/biggest first with customers who never ordered last, which PostgreSQL
can read straight from an index only when the index says ``DESC NULLS LAST``; SQLite's DESC
order already puts NULLs last, and SQLite indexes cannot say NULLS LAST. So these indexes are
written per database, and kept out of the models (Alembic cannot compare them).
"""
from __future__ import annotations

from typing import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTED = {
    "ix_customer_list_last_order": "last_order_at",
    "ix_customer_list_total_paid": "total_paid",
    "ix_customer_list_created": "created_at",
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, column in SORTED.items():
        order = f"{column} DESC NULLS LAST, id DESC" if postgres else f"{column} DESC, id DESC"
        op.execute(f"CREATE INDEX {name} ON customer (shop_id, {order})")
    op.execute("CREATE INDEX ix_customer_list_name ON customer (shop_id, name)")


def downgrade() -> None:
    for name in (*SORTED, "ix_customer_list_name"):
        op.execute(f"DROP INDEX {name}")
