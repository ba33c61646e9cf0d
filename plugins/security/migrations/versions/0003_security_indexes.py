"""security: an index on every foreign key

Revision ID: security_0003
Revises: security_0002
Create Date: 2026-11-29

Indexes only (tests/core/test_indexes.py says which columns must lead one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "security_0003"
down_revision: str | Sequence[str] | None = "security_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_security_audit_object_seq", "security_audit_object", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_security_audit_object_seq", table_name="security_audit_object")
