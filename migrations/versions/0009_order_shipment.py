"""order carrier and tracking number

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

An order keeps the courier and the waybill number of its parcel when a data source has them (the
Taobao export's 物流公司 and 物流单号, or the API), for the shipped notice (``${shipment}``) and
the customer's page. Both nullable: many sources have neither.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("order", sa.Column("carrier", sa.String(length=40), nullable=True))
    op.add_column("order", sa.Column("tracking_number", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("tracking_number")
        batch_op.drop_column("carrier")
