"""an automation's dedupe key indexed for automations' messages only

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

The unique key (automation, dedupe key) that makes an automation message once per key was a
constraint over every row of the outbox, so each message a campaign wrote (with neither) added
an entry of two NULLs to it: a million useless entries per million-customer campaign, an index
insert for each of its rows. It becomes a partial unique index over the rows that have an
automation; automations' inserts name it (``ON CONFLICT (automation_id, dedupe_key) WHERE
automation_id IS NOT NULL``).
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_message_automation_id_dedupe_key"


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="unique")
    op.create_index(NAME, "message", ["automation_id", "dedupe_key"], unique=True,
                    postgresql_where=sa.text("automation_id IS NOT NULL"),
                    sqlite_where=sa.text("automation_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index(NAME, table_name="message")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_unique_constraint(NAME, ["automation_id", "dedupe_key"])
