"""customer: master, tiers, managers, relationships, contacts

Revision ID: customer_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "customer_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('customer',)
depends_on: str | Sequence[str] | None = ("security_0001",)  # branches and staff


def upgrade() -> None:
    op.create_table('customer_branch_policy',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('auto_assign_managers', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.PrimaryKeyConstraint('branch_id')
    )
    op.create_table('customer_customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_no', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.Enum('INDIVIDUAL', 'CORPORATE', name='customerkind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.Enum('MALE', 'FEMALE', name='gender', native_enum=False, length=32), nullable=True),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('relationship_manager_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.Enum('MASS', 'AFFLUENT', 'WEALTH', 'PRIVATE', name='customertier', native_enum=False, length=32), nullable=False),
    sa.Column('risk_profile', sa.Enum('C1', 'C2', 'C3', 'C4', 'C5', name='riskprofile', native_enum=False, length=32), nullable=True),
    sa.Column('risk_assessed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('ACTIVE', 'CLOSED', name='customerstatus', native_enum=False, length=32), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.ForeignKeyConstraint(['merged_into_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['relationship_manager_id'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_no'),
    sa.UniqueConstraint('id_number')
    )
    with op.batch_alter_table('customer_customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_customer_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_customer_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_customer_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_customer_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_customer_relationship_manager_id'), ['relationship_manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_customer_status'), ['status'], unique=False)

    op.create_table('customer_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'DONE', 'CANCELLED', name='followupstatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_note', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_follow_up_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_customer_follow_up_work', ['assignee_id', 'status', 'due_on'], unique=False)

    op.create_table('customer_interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('CALL', 'VISIT', 'MEETING', 'EMAIL', 'SMS', 'WECHAT', name='contactchannel', native_enum=False, length=32), nullable=False),
    sa.Column('direction', sa.Enum('INBOUND', 'OUTBOUND', name='contactdirection', native_enum=False, length=32), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_interaction_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index('ix_customer_interaction_timeline', ['customer_id', 'occurred_at'], unique=False)

    op.create_table('customer_manager_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('previous_manager_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['manager_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['previous_manager_id'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_manager_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_manager_assignment_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_manager_assignment_manager_id'), ['manager_id'], unique=False)

    op.create_table('customer_relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('related_customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('SPOUSE', 'PARENT', 'CHILD', 'LEGAL_REPRESENTATIVE', 'REPRESENTED_COMPANY', 'SHAREHOLDER', 'INVESTEE', 'EMPLOYEE', 'EMPLOYER', 'GUARANTOR', 'GUARANTEED_PARTY', name='relationshipkind', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['related_customer_id'], ['customer_customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id', 'related_customer_id')
    )
    with op.batch_alter_table('customer_relationship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_relationship_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_relationship_related_customer_id'), ['related_customer_id'], unique=False)

    op.create_table('customer_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('shared_with_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['shared_by_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['shared_with_id'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_share_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_share_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_share_shared_with_id'), ['shared_with_id'], unique=False)

    op.create_table('customer_tag',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.PrimaryKeyConstraint('customer_id', 'tag')
    )
    with op.batch_alter_table('customer_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_tag_tag'), ['tag'], unique=False)

    op.create_table('customer_tier_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_tier', sa.Enum('MASS', 'AFFLUENT', 'WEALTH', 'PRIVATE', name='customertier', native_enum=False, length=32), nullable=False),
    sa.Column('to_tier', sa.Enum('MASS', 'AFFLUENT', 'WEALTH', 'PRIVATE', name='customertier', native_enum=False, length=32), nullable=False),
    sa.Column('assets', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_tier_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_tier_change_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer_tier_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_tier_change_customer_id'))

    op.drop_table('customer_tier_change')
    with op.batch_alter_table('customer_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_tag_tag'))

    op.drop_table('customer_tag')
    with op.batch_alter_table('customer_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_share_shared_with_id'))
        batch_op.drop_index(batch_op.f('ix_customer_share_expires_at'))
        batch_op.drop_index(batch_op.f('ix_customer_share_customer_id'))

    op.drop_table('customer_share')
    with op.batch_alter_table('customer_relationship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_relationship_related_customer_id'))
        batch_op.drop_index(batch_op.f('ix_customer_relationship_customer_id'))

    op.drop_table('customer_relationship')
    with op.batch_alter_table('customer_manager_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_manager_assignment_manager_id'))
        batch_op.drop_index(batch_op.f('ix_customer_manager_assignment_customer_id'))

    op.drop_table('customer_manager_assignment')
    with op.batch_alter_table('customer_interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_interaction_timeline')
        batch_op.drop_index(batch_op.f('ix_customer_interaction_staff_id'))

    op.drop_table('customer_interaction')
    with op.batch_alter_table('customer_follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_follow_up_work')
        batch_op.drop_index(batch_op.f('ix_customer_follow_up_customer_id'))

    op.drop_table('customer_follow_up')
    with op.batch_alter_table('customer_customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_customer_status'))
        batch_op.drop_index(batch_op.f('ix_customer_customer_relationship_manager_id'))
        batch_op.drop_index(batch_op.f('ix_customer_customer_phone'))
        batch_op.drop_index(batch_op.f('ix_customer_customer_name'))
        batch_op.drop_index(batch_op.f('ix_customer_customer_created_at'))
        batch_op.drop_index(batch_op.f('ix_customer_customer_branch_id'))

    op.drop_table('customer_customer')
    op.drop_table('customer_branch_policy')
