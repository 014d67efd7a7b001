"""membership: the points ledger

Revision ID: membership_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "membership_0001"
down_revision = None
branch_labels = ("membership",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "membership_points",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shop.id", ondelete="CASCADE",
                                                       name="fk_membership_points_shop_id_shop"),
                  nullable=False),
        sa.Column("customer_id", sa.Integer,
                  sa.ForeignKey("customer.id", ondelete="CASCADE",
                                name="fk_membership_points_customer_id_customer"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("order_id", sa.Integer,
                  sa.ForeignKey("order.id", ondelete="SET NULL",
                                name="fk_membership_points_order_id_order"), nullable=True),
        sa.Column("expires_at", sa.DateTime, nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("created_by", sa.Integer,
                  sa.ForeignKey("user.id", ondelete="SET NULL",
                                name="fk_membership_points_created_by_user"), nullable=True),
        sa.Column("created_by_name", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_membership_points"),
        sa.UniqueConstraint("order_id", "kind", name="uq_membership_points_order_kind"),
    )
    op.create_index("ix_membership_points_customer", "membership_points", ["customer_id", "id"])
    op.create_index("ix_membership_points_shop_expires", "membership_points", ["shop_id", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_membership_points_shop_expires", table_name="membership_points")
    op.drop_index("ix_membership_points_customer", table_name="membership_points")
    op.drop_table("membership_points")
