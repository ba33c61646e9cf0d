"""outbox, leads, referrals, events

Revision ID: marketing_0002
Revises: marketing_0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'marketing_0002'
down_revision: str | Sequence[str] | None = 'marketing_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('marketing_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('WEALTH_SEMINAR', 'VIP_SALON', name='eventkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('PLANNED', 'HELD', 'CANCELLED', name='eventstatus', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('venue', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('marketing_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_event_starts_at'), ['starts_at'], unique=False)

    op.create_table('marketing_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('team', sa.Enum('WEALTH_ADVISORY', 'PRIVATE_BANKING', 'INSURANCE', 'LENDING', 'CORPORATE', name='specialistteam', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'ACCEPTED', 'DECLINED', 'WON', 'LOST', name='referralstatus', native_enum=False, length=32), nullable=False),
    sa.Column('referred_by', sa.Integer(), nullable=False),
    sa.Column('specialist_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=2000), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['referred_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['specialist_id'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('marketing_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_referral_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_referral_referred_by'), ['referred_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_referral_status'), ['status'], unique=False)

    op.create_table('marketing_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('INVITED', 'ACCEPTED', 'DECLINED', 'ATTENDED', 'NO_SHOW', name='invitationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['marketing_event.id'], ),
    sa.ForeignKeyConstraint(['follow_up_id'], ['customer_follow_up.id'], ),
    sa.ForeignKeyConstraint(['invited_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'customer_id')
    )
    with op.batch_alter_table('marketing_invitation', schema=None) as batch_op:
        batch_op.create_index('ix_marketing_invitation_customer', ['customer_id'], unique=False)

    op.create_table('marketing_lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('INDIVIDUAL', 'CORPORATE', name='customerkind', native_enum=False, length=32), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('source', sa.Enum('WALK_IN', 'REFERRAL', 'EVENT', 'CAMPAIGN', 'PARTNER', name='leadsource', native_enum=False, length=32), nullable=False),
    sa.Column('referred_by_customer_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('partner', sa.String(length=100), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.Enum('NEW', 'CONTACTED', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST', name='leadstage', native_enum=False, length=32), nullable=False),
    sa.Column('expected_amount', sa.BigInteger(), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('lost_reason', sa.String(length=2000), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['marketing_event.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['marketing_product.id'], ),
    sa.ForeignKeyConstraint(['referred_by_customer_id'], ['customer_customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id')
    )
    with op.batch_alter_table('marketing_lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_lead_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_lead_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_lead_stage'), ['stage'], unique=False)

    op.create_table('marketing_lead_stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.Enum('NEW', 'CONTACTED', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST', name='leadstage', native_enum=False, length=32), nullable=True),
    sa.Column('to_stage', sa.Enum('NEW', 'CONTACTED', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST', name='leadstage', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['lead_id'], ['marketing_lead.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('marketing_lead_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_lead_stage_change_lead_id'), ['lead_id'], unique=False)

    op.create_table('marketing_outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('SMS', 'EMAIL', 'PHONE', 'BRANCH', 'APP', name='campaignchannel', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SENDING', 'SENT', 'FAILED', 'SUPPRESSED', name='messagestatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('gateway_reference', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], ),
    sa.ForeignKeyConstraint(['membership_id'], ['marketing_membership.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('marketing_outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_marketing_outbox_campaign', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_marketing_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_marketing_outbox_membership', ['membership_id'], unique=False)

    with op.batch_alter_table('marketing_campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=2000), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('marketing_campaign', schema=None) as batch_op:
        batch_op.drop_column('message')

    with op.batch_alter_table('marketing_outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_marketing_outbox_membership')
        batch_op.drop_index('ix_marketing_outbox_due')
        batch_op.drop_index('ix_marketing_outbox_campaign')

    op.drop_table('marketing_outbox_message')
    with op.batch_alter_table('marketing_lead_stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_lead_stage_change_lead_id'))

    op.drop_table('marketing_lead_stage_change')
    with op.batch_alter_table('marketing_lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_lead_stage'))
        batch_op.drop_index(batch_op.f('ix_marketing_lead_owner_id'))
        batch_op.drop_index(batch_op.f('ix_marketing_lead_branch_id'))

    op.drop_table('marketing_lead')
    with op.batch_alter_table('marketing_invitation', schema=None) as batch_op:
        batch_op.drop_index('ix_marketing_invitation_customer')

    op.drop_table('marketing_invitation')
    with op.batch_alter_table('marketing_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_referral_status'))
        batch_op.drop_index(batch_op.f('ix_marketing_referral_referred_by'))
        batch_op.drop_index(batch_op.f('ix_marketing_referral_customer_id'))

    op.drop_table('marketing_referral')
    with op.batch_alter_table('marketing_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_event_starts_at'))

    op.drop_table('marketing_event')
