"""PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``.

The dump reads from a snapshot that this module exports from a REPEATABLE READ
transaction (``pg_export_snapshot()``) and holds open while ``pg_dump`` runs,
and the manifest's row counts are read in that same transaction: they are the
dump's counts exactly, however many transfers commit meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from core.backup.contents import Contents, describe
from core.backup.errors import BackupError
from core.db import Database

TOOL_FOLDERS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/libpq/bin")
"""Where PostgreSQL's client programs live when they are not on ``PATH`` (Debian,
Red Hat, Homebrew); the newest version found is used."""


def find_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: from ``PATH``, else the newest installed."""
    if found := shutil.which(name):
        return Path(found)
    root = Path("/")
    installed = [path for folder in TOOL_FOLDERS for path in root.glob(f"{folder[1:]}/{name}")]
    if installed:
        return max(installed, key=_version_of)
    raise BackupError(
        "BACKUP_TOOL_MISSING",
        f"{name} was not found on PATH nor in {', '.join(TOOL_FOLDERS)}; install the "
        "PostgreSQL client programs of the server's version or newer "
        "(Debian: apt install postgresql-client)",
    )


def _version_of(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(path.parent.parent.name)))


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the application's ``postgresql+asyncpg://`` URL,
    and the environment for the tool: the password goes in ``PGPASSWORD``, never on
    a command line others can see. Of asyncpg's query options only ``ssl`` has a
    libpq meaning (``sslmode``)."""
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    ssl = {"true": "require", "false": "disable"}.get(str(ssl).lower(), ssl) if ssl else None
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query={"sslmode": str(ssl)} if ssl else {},
    )
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), environment


async def dump(database: Database, into: Path) -> Contents:
    """Dump the database to ``into``; what the dump holds."""
    tool = find_tool("pg_dump")
    uri, environment = libpq_connection(database.url)
    async with database.engine.connect() as connection:
        snapshot_holder = await connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with snapshot_holder.begin():
            snapshot = await snapshot_holder.scalar(text("SELECT pg_export_snapshot()"))
            contents = await snapshot_holder.run_sync(describe)
            await _run(
                tool,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={into}",
                "--no-password",
                f"--dbname={uri}",
                environment=environment,
            )
    return contents


async def load(database: Database, dump: Path) -> None:
    """Restore the dump into the (empty) database, all or nothing. Objects belong
    to the user of ``CRM_DATABASE_URL``, whatever user owned them before."""
    uri, environment = libpq_connection(database.url)
    await _run(
        find_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={uri}",
        str(dump),
        environment=environment,
    )


async def _run(tool: Path, *arguments: str, environment: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        str(tool),
        *arguments,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode:
        said = errors.decode(errors="replace").strip().splitlines()
        raise BackupError(
            "BACKUP_TOOL_FAILED",
            f"{tool.name} failed with status {process.returncode}: "
            + (" / ".join(said[-3:]) if said else "it said nothing"),
        )
