"""Backup and restore of the whole database (数据备份和恢复).

``crm backup FILE`` takes a consistent online backup: SQLite's backup API, or
``pg_dump`` from an exported snapshot on PostgreSQL. FILE is one archive
(:mod:`core.backup.archive`) holding the dump and a manifest (format version,
engine, time, Alembic revisions, rows per table, the dump's SHA-256).
``crm restore FILE`` verifies it, restores it into an empty database and
proves the restored row counts are the manifest's.

The kernel knows nothing of banking here: whether the restored ledger balances
is the finance plugin's question (``crm ledger check``).
"""

from core.backup.errors import BackupError
from core.backup.manifest import Manifest
from core.backup.restore import restore_backup
from core.backup.take import take_backup

__all__ = ["BackupError", "Manifest", "restore_backup", "take_backup"]
