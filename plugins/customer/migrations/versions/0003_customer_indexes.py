"""customer: an index on every foreign key, none twice

Revision ID: customer_0003
Revises: customer_0002
Create Date: 2026-11-29

Indexes only (tests/core/test_indexes.py says which columns must lead one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "customer_0003"
down_revision: str | Sequence[str] | None = "customer_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # led by the unique (customer_id, related_customer_id) already
    op.drop_index("ix_customer_relationship_customer_id", table_name="customer_relationship")
    op.create_index("ix_customer_customer_merged_into_id", "customer_customer", ["merged_into_id"])
    op.create_index("ix_customer_follow_up_created_by_id", "customer_follow_up", ["created_by_id"])
    op.create_index(
        "ix_customer_manager_assignment_assigned_by_id",
        "customer_manager_assignment",
        ["assigned_by_id"],
    )
    op.create_index(
        "ix_customer_manager_assignment_previous_manager_id",
        "customer_manager_assignment",
        ["previous_manager_id"],
    )
    op.create_index("ix_customer_share_shared_by_id", "customer_share", ["shared_by_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_share_shared_by_id", table_name="customer_share")
    op.drop_index(
        "ix_customer_manager_assignment_previous_manager_id",
        table_name="customer_manager_assignment",
    )
    op.drop_index(
        "ix_customer_manager_assignment_assigned_by_id", table_name="customer_manager_assignment"
    )
    op.drop_index("ix_customer_follow_up_created_by_id", table_name="customer_follow_up")
    op.drop_index("ix_customer_customer_merged_into_id", table_name="customer_customer")
    op.create_index(
        "ix_customer_relationship_customer_id", "customer_relationship", ["customer_id"]
    )
