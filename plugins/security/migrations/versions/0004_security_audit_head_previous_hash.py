"""security: the audit head keeps the hash its last record follows

Revision ID: security_0004
Revises: security_0003
Create Date: 2026-11-30

PostgreSQL moves the head on and numbers the new record in one statement; the
head's ``previous_hash`` is how that statement returns the hash it moved from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "security_0004"
down_revision: str | Sequence[str] | None = "security_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("security_audit_head") as batch_op:
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE security_audit_head SET previous_hash = COALESCE("
        "(SELECT r.previous_hash FROM security_audit_record r"
        " WHERE r.seq = security_audit_head.seq),"
        f" '{GENESIS}')"
    )
    with op.batch_alter_table("security_audit_head") as batch_op:
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("security_audit_head") as batch_op:
        batch_op.drop_column("previous_hash")
