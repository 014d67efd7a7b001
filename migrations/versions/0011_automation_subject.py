"""automation subject

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

An automation may give its messages a subject (email channels), a template like its text; each
message keeps the subject it was rendered with, as it keeps its text. Both nullable: SMS
messages have none, and an email without one goes out with its channel's default subject.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("automation", sa.Column("subject", sa.String(length=200), nullable=True))
    op.add_column("message", sa.Column("subject", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("automation", schema=None) as batch_op:
        batch_op.drop_column("subject")
