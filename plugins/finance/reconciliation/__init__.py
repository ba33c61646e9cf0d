"""Reconciliation (对账): the books checked against themselves and against the
clearing side every day, unusual movements flagged, and every finding kept as
an exception for a person to work."""
