"""``crm backup FILE`` and ``crm restore FILE``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from core.backup.errors import BackupError
from core.backup.manifest import ENGINE_NAMES, Manifest
from core.backup.restore import restore_backup
from core.backup.take import take_backup
from core.cli_support import fail, open_runtime, run

console = Console()


def backup(
    file: Annotated[Path, typer.Argument(help="The archive to write; it must not exist yet.")],
) -> None:
    """Back the whole database up into FILE while it keeps serving (a consistent snapshot)."""

    async def take() -> Manifest:
        async with open_runtime() as runtime:
            return await take_backup(runtime.database, file)

    manifest = _or_fail(take)
    console.print(f"backed up {_summary(manifest)} to {file}", highlight=False, soft_wrap=True)


def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `crm backup`.")],
) -> None:
    """Verify FILE and restore it into the database of CRM_DATABASE_URL, which must be empty."""

    async def restoring() -> Manifest:
        async with open_runtime() as runtime:
            return await restore_backup(runtime.database, runtime.plugins, file)

    manifest = _or_fail(restoring)
    console.print(
        f"restored {_summary(manifest)} taken at {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC; "
        "every table holds the rows the manifest counts",
        highlight=False,
        soft_wrap=True,
    )


def _or_fail(command: Callable[[], Coroutine[Any, Any, Manifest]]) -> Manifest:
    try:
        return run(command())
    except BackupError as error:
        fail(f"{error.message} ({error.code})")


def _summary(manifest: Manifest) -> str:
    contents = manifest.contents
    return (
        f"{len(contents.counts)} tables and {contents.rows} rows "
        f"({ENGINE_NAMES[manifest.engine]}, revisions {', '.join(contents.heads) or 'none'})"
    )
