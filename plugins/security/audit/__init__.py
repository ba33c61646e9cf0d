"""The audit log: every mutation and every read of unmasked personal data,
kept as an append-only, tamper-evident hash chain."""
