"""The ledger's invariants that ``plugins.finance.ledger.check_ledger`` does not
read, as SQL run in the database itself: by the transfers benchmark after each
level, and by every reliability scenario (``reliability/harness.py``)."""

from __future__ import annotations

from sqlalchemy import bindparam, text

NEGATIVE = text(
    "SELECT count(*) FROM finance_account WHERE customer_id IS NOT NULL AND balance < 0"
)
"""Customer accounts whose balance is below zero."""
LAST_BALANCE_DRIFTS = text(
    "SELECT count(*) FROM finance_account a WHERE EXISTS"
    " (SELECT 1 FROM finance_posting p WHERE p.account_id = a.id)"
    " AND a.balance != (SELECT p.balance_after FROM finance_posting p"
    " WHERE p.account_id = a.id ORDER BY p.id DESC LIMIT 1)"
)
"""Accounts whose balance is not their last posting's running balance."""
_BROKEN_RUNS = (
    "SELECT count(*) FROM (SELECT amount, balance_after,"
    " lag(balance_after) OVER (PARTITION BY account_id ORDER BY id) AS previous"
    " FROM finance_posting{among}) x"
    " WHERE previous IS NOT NULL AND balance_after != previous + amount"
)
BROKEN_RUNS = text(_BROKEN_RUNS.format(among=""))
"""Postings whose running balance does not follow the one before on their
account: the trace a lost update leaves."""
BROKEN_RUNS_AMONG = text(_BROKEN_RUNS.format(among=" WHERE account_id IN :accounts")).bindparams(
    bindparam("accounts", expanding=True)
)
""":data:`BROKEN_RUNS` on the ``accounts`` given only."""
