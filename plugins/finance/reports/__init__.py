"""Reports (报表): daily balances by branch, product and tier; the trial
balance of the ledger; the loan book by branch. Each is one grouped query,
carries the ledger figure it must tie to, and renders as CSV."""
