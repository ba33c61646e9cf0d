"""marketing: catalogue, opt-outs, segments, campaigns

Revision ID: marketing_0001
Revises: 
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'marketing_0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('marketing',)
depends_on: str | Sequence[str] | None = ("customer_0001",)  # customers, branches and staff


def upgrade() -> None:
    op.create_table('marketing_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.Enum('DEPOSIT', 'LOAN', 'WEALTH', 'INSURANCE', 'CARD', name='productcategory', native_enum=False, length=32), nullable=False),
    sa.Column('risk_level', sa.Enum('R1', 'R2', 'R3', 'R4', 'R5', name='risklevel', native_enum=False, length=32), nullable=True),
    sa.Column('minimum_amount', sa.BigInteger(), nullable=False),
    sa.Column('eligible_tiers', sa.JSON(), nullable=False),
    sa.Column('eligible_kinds', sa.JSON(), nullable=False),
    sa.Column('sales_from', sa.Date(), nullable=True),
    sa.Column('sales_to', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    info={'crm_reference_data': True}
    )
    op.create_table('marketing_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('marketing_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'CANCELLED', name='campaignstatus', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.Enum('SMS', 'EMAIL', 'PHONE', 'BRANCH', 'APP', name='campaignchannel', native_enum=False, length=32), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('budget', sa.BigInteger(), nullable=True),
    sa.Column('objective', sa.String(length=2000), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('launched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['marketing_product.id'], ),
    sa.ForeignKeyConstraint(['segment_id'], ['marketing_segment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('marketing_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_campaign_status'), ['status'], unique=False)

    op.create_table('marketing_opt_out',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('SMS', 'EMAIL', 'PHONE', 'BRANCH', 'APP', name='campaignchannel', native_enum=False, length=32), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('customer_id', 'channel')
    )
    op.create_table('marketing_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('TARGETED', 'CONTACTED', 'RESPONDED', 'CONVERTED', 'DECLINED', name='membershipstatus', native_enum=False, length=32), nullable=False),
    sa.Column('targeted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('converted_amount', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'customer_id')
    )
    with op.batch_alter_table('marketing_membership', schema=None) as batch_op:
        batch_op.create_index('ix_marketing_membership_customer', ['customer_id', 'targeted_at'], unique=False)

    op.create_table('marketing_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('TARGETED', 'CONTACTED', 'RESPONDED', 'CONVERTED', 'DECLINED', name='membershipstatus', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['marketing_membership.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('marketing_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_response_membership_id'), ['membership_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('marketing_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_response_membership_id'))

    op.drop_table('marketing_response')
    with op.batch_alter_table('marketing_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_marketing_membership_customer')

    op.drop_table('marketing_membership')
    op.drop_table('marketing_opt_out')
    with op.batch_alter_table('marketing_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_campaign_status'))

    op.drop_table('marketing_campaign')
    op.drop_table('marketing_segment')
    op.drop_table('marketing_product')
