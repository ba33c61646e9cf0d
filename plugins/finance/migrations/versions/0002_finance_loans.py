"""finance: loans, loan products and installments

Revision ID: finance_0002
Revises: finance_0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'finance_0002'
down_revision: str | Sequence[str] | None = 'finance_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('finance_loan_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('customer_kind', sa.Enum('INDIVIDUAL', 'CORPORATE', name='customerkind', native_enum=False, length=32), nullable=False),
    sa.Column('annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('min_term_months', sa.Integer(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('min_amount', sa.BigInteger(), nullable=False),
    sa.Column('max_amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('standard', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    info={'crm_reference_data': True}
    )
    op.create_table('finance_loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_no', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'ACTIVE', 'PAID_OFF', name='loanstatus', native_enum=False, length=32), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('penalty_rate', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', name='repaymentmethod', native_enum=False, length=32), nullable=False),
    sa.Column('outstanding_principal', sa.BigInteger(), nullable=False),
    sa.Column('penalty_accrual', sa.BigInteger(), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.String(length=1000), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=True),
    sa.Column('paid_off_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['applied_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['finance_loan_product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('loan_no')
    )
    with op.batch_alter_table('finance_loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_loan_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_finance_loan_status', ['status'], unique=False)

    op.create_table('finance_installment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('paid_principal', sa.BigInteger(), nullable=False),
    sa.Column('paid_interest', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['loan_id'], ['finance_loan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('loan_id', 'number')
    )
    with op.batch_alter_table('finance_installment', schema=None) as batch_op:
        batch_op.create_index('ix_finance_installment_due', ['due_date', 'paid_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finance_installment', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_installment_due')

    op.drop_table('finance_installment')
    with op.batch_alter_table('finance_loan', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_loan_status')
        batch_op.drop_index(batch_op.f('ix_finance_loan_customer_id'))

    op.drop_table('finance_loan')
    op.drop_table('finance_loan_product')
