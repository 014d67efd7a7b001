"""the outbox without foreign keys

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

A campaign writes its outbox in one ``INSERT … SELECT``, a row per customer. On PostgreSQL the
foreign keys of ``message`` to ``shop``, ``customer`` and ``campaign`` (and an automation's to
``automation`` and ``order``) were checked row by row, each check a look-up that also locks the
row it finds (``FOR KEY SHARE``, which writes to every addressed customer's row): 1.5 of the
2.7 s it took to write 100,000 messages. Nothing deletes shops, customers, campaigns,
automations or orders, so the checks guarded against nothing the application does; the rows a
message names are its own shop's, written in the same transaction or before (see
:class:`shopcrm.models.Message`).
"""
from __future__ import annotations

from typing import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (("shop_id", "shop", "CASCADE"), ("customer_id", "customer", "SET NULL"),
         ("campaign_id", "campaign", "CASCADE"), ("automation_id", "automation", "CASCADE"),
         ("order_id", "order", "SET NULL"))


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        for column, table, _ in _KEYS:
            batch_op.drop_constraint(f"fk_message_{column}_{table}", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        for column, table, ondelete in _KEYS:
            batch_op.create_foreign_key(f"fk_message_{column}_{table}", table, [column], ["id"], ondelete=ondelete)
