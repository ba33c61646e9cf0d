"""finance: an index on every foreign key; postings by value date

Revision ID: finance_0004
Revises: finance_0003
Create Date: 2026-11-29

Indexes only (tests/core/test_indexes.py says which columns must lead one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "finance_0004"
down_revision: str | Sequence[str] | None = "finance_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_finance_account_funding_account_id", "finance_account", ["funding_account_id"]
    )
    op.create_index("ix_finance_account_product_id", "finance_account", ["product_id"])
    op.create_index(
        "ix_finance_clearing_statement_imported_by", "finance_clearing_statement", ["imported_by"]
    )
    op.create_index("ix_finance_freeze_created_by", "finance_freeze", ["created_by"])
    op.create_index("ix_finance_freeze_released_by", "finance_freeze", ["released_by"])
    op.create_index(
        "ix_finance_idempotency_key_account_id", "finance_idempotency_key", ["account_id"]
    )
    op.create_index("ix_finance_idempotency_key_entry_id", "finance_idempotency_key", ["entry_id"])
    op.create_index("ix_finance_journal_entry_created_by", "finance_journal_entry", ["created_by"])
    op.create_index("ix_finance_loan_account_id", "finance_loan", ["account_id"])
    op.create_index("ix_finance_loan_applied_by", "finance_loan", ["applied_by"])
    op.create_index("ix_finance_loan_decided_by", "finance_loan", ["decided_by"])
    op.create_index("ix_finance_loan_product_id", "finance_loan", ["product_id"])
    op.create_index("ix_finance_loan_book_day_branch_id", "finance_loan_book_day", ["branch_id"])
    op.create_index("ix_finance_posting_value_date", "finance_posting", ["value_date"])
    op.create_index(
        "ix_finance_reconciliation_exception_entry_id",
        "finance_reconciliation_exception",
        ["entry_id"],
    )
    op.create_index(
        "ix_finance_reconciliation_exception_posting_id",
        "finance_reconciliation_exception",
        ["posting_id"],
    )
    op.create_index(
        "ix_finance_reconciliation_note_assignee_id", "finance_reconciliation_note", ["assignee_id"]
    )
    op.create_index(
        "ix_finance_reconciliation_note_written_by", "finance_reconciliation_note", ["written_by"]
    )


def downgrade() -> None:
    op.drop_index(
        "ix_finance_reconciliation_note_written_by", table_name="finance_reconciliation_note"
    )
    op.drop_index(
        "ix_finance_reconciliation_note_assignee_id", table_name="finance_reconciliation_note"
    )
    op.drop_index(
        "ix_finance_reconciliation_exception_posting_id",
        table_name="finance_reconciliation_exception",
    )
    op.drop_index(
        "ix_finance_reconciliation_exception_entry_id",
        table_name="finance_reconciliation_exception",
    )
    op.drop_index("ix_finance_posting_value_date", table_name="finance_posting")
    op.drop_index("ix_finance_loan_book_day_branch_id", table_name="finance_loan_book_day")
    op.drop_index("ix_finance_loan_product_id", table_name="finance_loan")
    op.drop_index("ix_finance_loan_decided_by", table_name="finance_loan")
    op.drop_index("ix_finance_loan_applied_by", table_name="finance_loan")
    op.drop_index("ix_finance_loan_account_id", table_name="finance_loan")
    op.drop_index("ix_finance_journal_entry_created_by", table_name="finance_journal_entry")
    op.drop_index("ix_finance_idempotency_key_entry_id", table_name="finance_idempotency_key")
    op.drop_index("ix_finance_idempotency_key_account_id", table_name="finance_idempotency_key")
    op.drop_index("ix_finance_freeze_released_by", table_name="finance_freeze")
    op.drop_index("ix_finance_freeze_created_by", table_name="finance_freeze")
    op.drop_index(
        "ix_finance_clearing_statement_imported_by", table_name="finance_clearing_statement"
    )
    op.drop_index("ix_finance_account_product_id", table_name="finance_account")
    op.drop_index("ix_finance_account_funding_account_id", table_name="finance_account")
