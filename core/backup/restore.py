"""``crm restore``: a verified backup into an empty database."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from core import migrations
from core.backup import postgres, sqlite
from core.backup.archive import read_archive
from core.backup.contents import Contents, describe
from core.backup.errors import BackupError
from core.backup.manifest import ENGINE_NAMES, Manifest
from core.db import Database
from core.plugins import PluginRegistry

SHOWN = 5
"""How many table names a refusal lists."""


async def restore_backup(database: Database, registry: PluginRegistry, source: Path) -> Manifest:
    """Verify the backup ``source``, restore it into ``database`` (which must hold
    no table at all) and prove the restored tables hold the manifest's row counts;
    the manifest.

    Everything is checked before the database is touched: a damaged file, one of
    another engine or from a schema this installation does not know, or a
    database that is not empty, changes nothing.
    """
    with tempfile.TemporaryDirectory(prefix="crm-restore-") as folder:
        manifest, dump = await asyncio.to_thread(read_archive, source, Path(folder))
        engine = "sqlite" if database.is_sqlite else "postgresql"
        if manifest.engine != engine:
            raise BackupError(
                "BACKUP_ENGINE_MISMATCH",
                f"the backup is of a {ENGINE_NAMES[manifest.engine]} database and "
                f"CRM_DATABASE_URL names a {ENGINE_NAMES[engine]} one; restore it into a "
                "database of its own kind",
            )
        _check_revisions_known(registry, manifest.contents.heads)
        await _check_empty(database)
        await database.engine.dispose()  # nothing of ours holds the database while it is loaded
        await (sqlite if database.is_sqlite else postgres).load(database, dump)
    restored = await _contents(database)
    if restored != manifest.contents:
        raise BackupError("RESTORE_MISMATCH", _differences(manifest.contents, restored))
    return manifest


async def _contents(database: Database) -> Contents:
    async with database.engine.connect() as connection:
        return await connection.run_sync(describe)


async def _check_empty(database: Database) -> None:
    counts = (await _contents(database)).counts
    if not counts:
        return
    holding = [name for name, rows in counts.items() if rows]
    shown = holding or list(counts)
    raise BackupError(
        "RESTORE_TARGET_NOT_EMPTY",
        f"the database {database.url.render_as_string(hide_password=True)} is not empty: "
        f"it has {len(counts)} table(s)"
        + (f", {len(holding)} of them with rows" if holding else "")
        + f" ({', '.join(shown[:SHOWN])}{', ...' if len(shown) > SHOWN else ''}); "
        "restore into a newly created database",
    )


def _check_revisions_known(registry: PluginRegistry, heads: tuple[str, ...]) -> None:
    """Refuse a backup whose schema revisions this installation's migrations do not
    have (a newer version of the CRM, or a plugin not installed here)."""
    script = ScriptDirectory.from_config(migrations.alembic_config(registry))
    unknown = []
    for head in heads:
        try:
            script.get_revision(head)
        except CommandError:
            unknown.append(head)
    if unknown:
        raise BackupError(
            "BACKUP_SCHEMA_UNKNOWN",
            f"the backup's schema is at revisions {', '.join(unknown)}, which this "
            "installation does not have; restore it with the CRM version (and plugins) "
            "that made it",
        )


def _differences(expected: Contents, restored: Contents) -> str:
    tables = sorted(set(expected.counts) | set(restored.counts))
    differing = [
        f"{name}: {restored.counts.get(name, 'missing')} rows, "
        f"manifest {expected.counts.get(name, 'none')}"
        for name in tables
        if expected.counts.get(name) != restored.counts.get(name)
    ]
    if expected.heads != restored.heads:
        differing.append(f"revisions {restored.heads}, manifest {expected.heads}")
    return (
        "the restored database does not hold what the backup's manifest says ("
        + "; ".join(differing[:SHOWN])
        + "); drop it and restore again"
    )
