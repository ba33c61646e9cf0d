"""The finance plugin: accounts, the double-entry ledger, money movement,
freezes, interest and the end-of-day batch's money steps."""
