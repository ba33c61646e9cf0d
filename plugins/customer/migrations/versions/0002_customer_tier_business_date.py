"""customer: tier changes count on a business date

Revision ID: customer_0002
Revises: customer_0001
Create Date: 2026-11-29

Changes made before this revision get the (UTC) calendar date they were made
on: the business date was not recorded then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "customer_0002"
down_revision: str | Sequence[str] | None = "customer_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_tier_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_date", sa.Date(), nullable=True))
    day = "date(changed_at)" if op.get_bind().dialect.name == "sqlite" else "changed_at::date"
    op.execute(f"UPDATE customer_tier_change SET business_date = {day}")  # noqa: S608
    with op.batch_alter_table("customer_tier_change", schema=None) as batch_op:
        batch_op.alter_column("business_date", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_tier_change", schema=None) as batch_op:
        batch_op.drop_column("business_date")
