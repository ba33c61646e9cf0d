"""Loans: products, applications with four-eyes approval, disbursement through
the ledger, repayment schedules, repayment and end-of-day collection."""
