"""reconciliation exceptions, clearing statements, the loan book

Revision ID: finance_0003
Revises: finance_0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'finance_0003'
down_revision: str | Sequence[str] | None = 'finance_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('finance_loan_book_day',
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('loans', sa.Integer(), nullable=False),
    sa.Column('outstanding_principal', sa.BigInteger(), nullable=False),
    sa.Column('overdue_loans', sa.Integer(), nullable=False),
    sa.Column('overdue_principal', sa.BigInteger(), nullable=False),
    sa.Column('overdue_interest', sa.BigInteger(), nullable=False),
    sa.Column('penalty_interest', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['security_branch.id'], ),
    sa.PrimaryKeyConstraint('business_date', 'branch_id', 'currency')
    )
    op.create_table('finance_clearing_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('missing_on_our_side', sa.Integer(), nullable=False),
    sa.Column('missing_on_their_side', sa.Integer(), nullable=False),
    sa.Column('amount_mismatches', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_date')
    )
    op.create_table('finance_clearing_statement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('counterparty', sa.String(length=60), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['statement_id'], ['finance_clearing_statement.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('statement_id', 'reference')
    )
    with op.batch_alter_table('finance_clearing_statement_line', schema=None) as batch_op:
        batch_op.create_index('ix_finance_clearing_statement_line_posting', ['statement_id', 'posting_id'], unique=False)

    op.create_table('finance_reconciliation_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('LEDGER_OUT_OF_BALANCE', 'ENTRY_OUT_OF_BALANCE', 'BALANCE_MISMATCH', 'INTERNAL_ACCOUNT_MISMATCH', 'MISSING_ON_OUR_SIDE', 'MISSING_ON_THEIR_SIDE', 'AMOUNT_MISMATCH', 'LARGE_CASH', 'STRUCTURING', 'PASS_THROUGH', name='exceptionkind', native_enum=False, length=32), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('last_seen_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'INVESTIGATING', 'RESOLVED', name='exceptionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('other_amount', sa.BigInteger(), nullable=True),
    sa.Column('movements', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('counterparty', sa.String(length=60), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('posting_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['finance_account.id'], ),
    sa.ForeignKeyConstraint(['assignee_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['finance_journal_entry.id'], ),
    sa.ForeignKeyConstraint(['posting_id'], ['finance_posting.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'subject', 'found_on')
    )
    with op.batch_alter_table('finance_reconciliation_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_reconciliation_exception_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_reconciliation_exception_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_reconciliation_exception_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_reconciliation_exception_found_on'), ['found_on'], unique=False)
        batch_op.create_index('ix_finance_reconciliation_exception_status', ['status', 'found_on'], unique=False)

    op.create_table('finance_reconciliation_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exception_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'INVESTIGATING', 'RESOLVED', name='exceptionstatus', native_enum=False, length=32), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('written_by', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['exception_id'], ['finance_reconciliation_exception.id'], ),
    sa.ForeignKeyConstraint(['written_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finance_reconciliation_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_reconciliation_note_exception_id'), ['exception_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finance_reconciliation_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_reconciliation_note_exception_id'))

    op.drop_table('finance_reconciliation_note')
    with op.batch_alter_table('finance_reconciliation_exception', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_reconciliation_exception_status')
        batch_op.drop_index(batch_op.f('ix_finance_reconciliation_exception_found_on'))
        batch_op.drop_index(batch_op.f('ix_finance_reconciliation_exception_customer_id'))
        batch_op.drop_index(batch_op.f('ix_finance_reconciliation_exception_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_finance_reconciliation_exception_account_id'))

    op.drop_table('finance_reconciliation_exception')
    with op.batch_alter_table('finance_clearing_statement_line', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_clearing_statement_line_posting')

    op.drop_table('finance_clearing_statement_line')
    op.drop_table('finance_clearing_statement')
    op.drop_table('finance_loan_book_day')
