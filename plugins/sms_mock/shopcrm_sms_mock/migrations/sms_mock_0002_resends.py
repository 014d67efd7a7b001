"""sms_mock: count duplicate sends (resubmissions of an OutId the sandbox holds)

Revision ID: sms_mock_0002
Revises: sms_mock_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "sms_mock_0002"
down_revision = "sms_mock_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_mock_submission") as batch:
        batch.add_column(sa.Column("resends", sa.Integer, nullable=False, server_default=sa.text("0")))
    op.create_index("ix_sms_mock_submission_resent", "sms_mock_submission", ["resends"],
                    sqlite_where=sa.text("resends > 0"), postgresql_where=sa.text("resends > 0"))


def downgrade() -> None:
    op.drop_index("ix_sms_mock_submission_resent", table_name="sms_mock_submission")
    with op.batch_alter_table("sms_mock_submission") as batch:
        batch.drop_column("resends")
