"""SQLite: the online backup API copies the live database page by page from
one read transaction, so writers carry on (WAL) and the copy is one snapshot.

The copy is made in one step (``pages=-1``): a backup made in several steps
restarts whenever another connection writes between them, and under steady
load might never finish.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from core.backup.contents import Contents, describe
from core.backup.errors import BackupError
from core.db import LOCK_WAIT_MS, Database


def database_file(database: Database) -> Path:
    name = database.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(
            "DATABASE_NOT_A_FILE",
            f"the SQLite database {database.url} is not a plain file; "
            "set CRM_DATABASE_URL to sqlite+aiosqlite:///PATH",
        )
    return Path(name)


async def dump(database: Database, into: Path) -> Contents:
    """Copy the live database to the file ``into``; what the copy holds."""
    live = database_file(database)
    if not live.exists():
        raise BackupError("DATABASE_NOT_FOUND", f"there is no database file {live}")
    await asyncio.to_thread(_copy, live, into, "DELETE")
    return await asyncio.to_thread(_describe_file, into)


async def load(database: Database, dump: Path) -> None:
    """Copy the dump into the (empty) database file, creating it if need be."""
    await asyncio.to_thread(_copy, dump, database_file(database), "WAL")


def _copy(source_path: Path, target_path: Path, journal_mode: str) -> None:
    """Copy one database file to another; the copy is left in ``journal_mode``
    (it takes the source's otherwise): DELETE for a dump that stands alone as one
    file, WAL for a database the application will use."""
    source = sqlite3.connect(source_path, timeout=LOCK_WAIT_MS / 1000)
    target = sqlite3.connect(target_path, timeout=LOCK_WAIT_MS / 1000)
    try:
        source.execute("PRAGMA query_only=ON")
        source.backup(target, pages=-1)
        target.execute(f"PRAGMA journal_mode={journal_mode}")
    except sqlite3.Error as error:
        raise BackupError(
            "BACKUP_FAILED", f"copying {source_path} to {target_path} failed: {error}"
        ) from None
    finally:
        target.close()
        source.close()


def _describe_file(path: Path) -> Contents:
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return describe(connection)
    finally:
        engine.dispose()
