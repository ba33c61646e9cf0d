"""finance: products, accounts, ledger, freezes, idempotency keys

Revision ID: finance_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'finance_0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('finance',)
depends_on: str | Sequence[str] | None = ("customer_0001",)  # customers and staff


def upgrade() -> None:
    op.create_table('finance_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('DEMAND', 'FIXED', name='accountkind', native_enum=False, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('standard', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    info={'crm_reference_data': True}
    )
    op.create_table('finance_product_rate',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['finance_product.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'term_months'),
    info={'crm_reference_data': True}
    )
    op.create_table('finance_journal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['finance_journal_entry.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reverses_id')
    )
    op.create_table('finance_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_no', sa.String(length=19), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Enum('CASH', 'INTEREST_EXPENSE', 'LOANS_RECEIVABLE', 'SUSPENSE', name='internalaccount', native_enum=False, length=32), nullable=True),
    sa.Column('kind', sa.Enum('DEMAND', 'FIXED', name='accountkind', native_enum=False, length=32), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('ACTIVE', 'FROZEN', 'CLOSED', name='accountstatus', native_enum=False, length=32), nullable=False),
    sa.Column('credits_blocked', sa.Boolean(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('accrual', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('principal', sa.BigInteger(), nullable=True),
    sa.Column('maturity_date', sa.Date(), nullable=True),
    sa.Column('funding_account_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['funding_account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['finance_product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_no'),
    sa.UniqueConstraint('internal', 'currency')
    )
    with op.batch_alter_table('finance_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_account_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_finance_account_maturity', ['maturity_date'], unique=False)

    op.create_table('finance_freeze',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('FULL', 'DEBIT', 'PARTIAL', name='freezemode', native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.Integer(), nullable=True),
    sa.Column('release_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['released_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finance_freeze', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_freeze_account_id'), ['account_id'], unique=False)

    op.create_table('finance_idempotency_key',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['finance_journal_entry.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('finance_posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['finance_journal_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finance_posting', schema=None) as batch_op:
        batch_op.create_index('ix_finance_posting_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_finance_posting_account_date', ['account_id', 'value_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_posting_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finance_posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_posting_entry_id'))
        batch_op.drop_index('ix_finance_posting_account_date')
        batch_op.drop_index('ix_finance_posting_account')

    op.drop_table('finance_posting')
    op.drop_table('finance_idempotency_key')
    with op.batch_alter_table('finance_freeze', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_freeze_account_id'))

    op.drop_table('finance_freeze')
    with op.batch_alter_table('finance_account', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_account_maturity')
        batch_op.drop_index(batch_op.f('ix_finance_account_customer_id'))

    op.drop_table('finance_account')
    op.drop_table('finance_journal_entry')
    op.drop_table('finance_product_rate')
    op.drop_table('finance_product')
