"""audit log; forced password changes, idle sessions, second factor

Revision ID: security_0002
Revises: security_0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'security_0002'
down_revision: str | Sequence[str] | None = 'security_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('security_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('security_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE security_session SET last_seen_at = created_at')
    with op.batch_alter_table('security_session', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_table('security_audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('security_audit_record',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=False),
    sa.Column('objects', sa.JSON(), nullable=False),
    sa.Column('arguments', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('security_audit_record', schema=None) as batch_op:
        batch_op.create_index('ix_security_audit_record_at', ['at'], unique=False)
        batch_op.create_index('ix_security_audit_record_operation', ['operation', 'at'], unique=False)
        batch_op.create_index('ix_security_audit_record_user', ['user_id', 'at'], unique=False)

    op.create_table('security_audit_object',
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['security_audit_record.seq'], ),
    sa.PrimaryKeyConstraint('object_id', 'seq')
    )


def downgrade() -> None:
    with op.batch_alter_table('security_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('security_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_pending_secret')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
    op.drop_table('security_audit_object')
    with op.batch_alter_table('security_audit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_security_audit_record_user')
        batch_op.drop_index('ix_security_audit_record_operation')
        batch_op.drop_index('ix_security_audit_record_at')

    op.drop_table('security_audit_record')
    op.drop_table('security_audit_head')
