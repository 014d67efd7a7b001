"""outbox indexes that hold only the rows they are for

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Every change of a message's status rewrites its row and, on PostgreSQL, adds an entry to each of
its indexes whose condition the new row meets. The index the send jobs claim from now holds only
``pending`` and ``sending`` rows (on PostgreSQL; SQLite's planner would not use it for a single
status), and the index receipts look messages up by holds only rows with a gateway id: a message
being claimed no longer touches the second, and one being recorded as sent no longer the first.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_message_status_send_after", table_name="message")
    op.create_index("ix_message_status_send_after", "message", ["status", "send_after"], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_index("ix_message_channel_gateway", table_name="message")
    op.create_index("ix_message_channel_gateway", "message", ["channel", "gateway_id"], unique=False,
                    postgresql_where=sa.text("gateway_id IS NOT NULL"),
                    sqlite_where=sa.text("gateway_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_message_channel_gateway", table_name="message")
    op.create_index("ix_message_channel_gateway", "message", ["channel", "gateway_id"], unique=False)
    op.drop_index("ix_message_status_send_after", table_name="message")
    op.create_index("ix_message_status_send_after", "message", ["status", "send_after"], unique=False)
