"""sms_aliyun: the receipts and replies already received

Revision ID: sms_aliyun_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "sms_aliyun_0001"
down_revision = None
branch_labels = ("sms_aliyun",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "sms_aliyun_push",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("shop_id", sa.Integer,
                  sa.ForeignKey("shop.id", ondelete="CASCADE", name="fk_sms_aliyun_push_shop_id_shop"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sms_aliyun_push"),
        sa.UniqueConstraint("shop_id", "kind", "key", name="uq_sms_aliyun_push_shop_id_kind_key"),
    )


def downgrade() -> None:
    op.drop_table("sms_aliyun_push")
