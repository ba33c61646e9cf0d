"""``crm backup``: the whole database, online, into one archive file."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from core.backup import postgres, sqlite
from core.backup.archive import sha256_of, write_archive
from core.backup.contents import Contents
from core.backup.errors import BackupError
from core.backup.manifest import DUMP_NAMES, Manifest, application_version
from core.db import Database


async def take_backup(database: Database, destination: Path) -> Manifest:
    """Dump the database while it serves requests and write the archive to
    ``destination``, a new file; its manifest.

    The archive is written beside ``destination`` under a temporary name and
    renamed when complete, so a file by that name is always a whole backup.
    """
    if await asyncio.to_thread(destination.exists):
        raise BackupError(
            "BACKUP_EXISTS", f"{destination} exists already; choose a new name for each backup"
        )
    engine = "sqlite" if database.is_sqlite else "postgresql"
    created_at = datetime.now(UTC)
    try:
        with tempfile.TemporaryDirectory(prefix=".crm-backup-", dir=destination.parent) as folder:
            dump = Path(folder) / DUMP_NAMES[engine]
            contents = await (sqlite if database.is_sqlite else postgres).dump(database, dump)
            return await asyncio.to_thread(
                _package, engine, created_at, contents, dump, destination
            )
    except OSError as error:
        raise BackupError("BACKUP_NOT_WRITTEN", f"cannot write {destination}: {error}") from None


def _package(
    engine: str, created_at: datetime, contents: Contents, dump: Path, destination: Path
) -> Manifest:
    """Archive the dump with its manifest beside it, then rename it into place."""
    manifest = Manifest(
        engine=engine,
        created_at=created_at,
        contents=contents,
        dump_sha256=sha256_of(dump),
        dump_size=dump.stat().st_size,
        application_version=application_version(),
    )
    archive = dump.with_name(destination.name)
    write_archive(archive, manifest, dump)
    os.replace(archive, destination)
    return manifest
