"""campaign subject

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

A campaign keeps the subject its messages go out with (email channels), as it keeps its text:
snapshotted from the template, or written in the campaign wizard. Nullable: SMS campaigns have
none.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("subject", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("subject")
