"""sms_mock: the sandbox's submissions and replies

Revision ID: sms_mock_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "sms_mock_0001"
down_revision = None
branch_labels = ("sms_mock",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "sms_mock_submission",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("message_id", sa.Integer, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("template_code", sa.String(64), nullable=True),
        sa.Column("template_params", sa.JSON, nullable=True),
        sa.Column("gateway_id", sa.String(40), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=True),
        sa.Column("receipt_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sms_mock_submission"),
        sa.UniqueConstraint("message_id", name="uq_sms_mock_submission_message_id"),
    )
    op.create_index("ix_sms_mock_submission_number", "sms_mock_submission", ["number", "id"])
    op.create_index("ix_sms_mock_submission_status_due", "sms_mock_submission", ["status", "due_at"])
    op.create_table(
        "sms_mock_reply",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sms_mock_reply"),
    )
    op.create_index("ix_sms_mock_reply_number", "sms_mock_reply", ["number", "id"])


def downgrade() -> None:
    op.drop_index("ix_sms_mock_reply_number", table_name="sms_mock_reply")
    op.drop_table("sms_mock_reply")
    op.drop_index("ix_sms_mock_submission_status_due", table_name="sms_mock_submission")
    op.drop_index("ix_sms_mock_submission_number", table_name="sms_mock_submission")
    op.drop_table("sms_mock_submission")
