"""customer labels keyed by customer and segmenter, without foreign keys

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Segmenters rewrite a shop's labels in bulk. The surrogate ``id`` and the unique constraint on
(customer, segmenter) become one primary key on (customer, segmenter), and the foreign keys to
``customer`` and ``shop`` go: on PostgreSQL each was checked row by row, locking every labelled
customer's row, which was most of the time a full RFM run over a million customers took
(see :class:`shopcrm.models.CustomerLabel`). Labels of customers that no longer exist are dropped
here, as the cascade would have.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM customer_label WHERE NOT EXISTS "
               "(SELECT 1 FROM customer WHERE customer.id = customer_label.customer_id)")
    with op.batch_alter_table("customer_label", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint("fk_customer_label_customer_id_customer", type_="foreignkey")
        batch_op.drop_constraint("fk_customer_label_shop_id_shop", type_="foreignkey")
        batch_op.drop_constraint("uq_customer_label_customer_id_segmenter", type_="unique")
        batch_op.drop_constraint("pk_customer_label", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_customer_label", ["customer_id", "segmenter"])


def downgrade() -> None:
    with op.batch_alter_table("customer_label", schema=None) as batch_op:
        batch_op.drop_constraint("pk_customer_label", type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), sa.Identity(), nullable=False))
        batch_op.create_primary_key("pk_customer_label", ["id"])
        batch_op.create_unique_constraint("uq_customer_label_customer_id_segmenter", ["customer_id", "segmenter"])
        batch_op.create_foreign_key("fk_customer_label_customer_id_customer", "customer", ["customer_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_foreign_key("fk_customer_label_shop_id_shop", "shop", ["shop_id"], ["id"], ondelete="CASCADE")
