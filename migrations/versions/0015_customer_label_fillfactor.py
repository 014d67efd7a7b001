"""customer labels' pages keep room for rewritten rows (PostgreSQL)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

A run over the customers an import touched rewrites their labels: new R, F and M in the scores,
often the same value. With every page full, PostgreSQL put each new row version on another page
and added an entry for it to both of the table's indexes. Filled to 80 percent, a page keeps
room for the new versions of its rows, and a label whose value is unchanged is rewritten in
place (a HOT update). Pages written before are filled so until a full run rewrites the shop's
labels. SQLite has no such setting.
"""
from __future__ import annotations

from typing import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 80


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE customer_label SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_label RESET (fillfactor)")
