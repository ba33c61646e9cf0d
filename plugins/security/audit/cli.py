"""``crm audit ...``: proving and exporting the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from core.cli_support import emit, fail, open_runtime, run
from core.db import Mode
from plugins.security.audit.export import records_csv
from plugins.security.audit.models import AuditRecord
from plugins.security.audit.search import AuditSearch, audit_records
from plugins.security.audit.verify import Verdict, verify_chain
from plugins.security.models import User

audit = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit.command("verify")
def verify() -> None:
    """Recompute the audit chain; exit status 1 and the first broken record if
    it was edited, cut or reordered."""

    async def verifying() -> Verdict:
        async with open_runtime() as runtime, runtime.database.transaction(Mode.READ) as session:
            return await verify_chain(session)

    verdict = run(verifying())
    console = Console()
    if verdict.ok:
        console.print(f"audit chain intact: {verdict.checked} records", highlight=False)
        return
    console.print(
        f"audit chain broken at record {verdict.broken_at}: {verdict.reason} "
        f"({verdict.checked} records before it are intact)",
        highlight=False,
    )
    raise typer.Exit(1)


@audit.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV here, not to stdout.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's records.")] = None,
    operation: Annotated[str | None, typer.Option(help="Only this operation's.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="From this moment (UTC unless a zone is given).")
    ] = None,
    before: Annotated[datetime | None, typer.Option(help="Before this moment.")] = None,
) -> None:
    """Write the audit log (or the part the options select) as CSV, oldest first."""

    async def exporting() -> str:
        async with open_runtime() as runtime, runtime.database.transaction(Mode.READ) as session:
            user_id = None
            if user is not None:
                user_id = await session.scalar(select(User.id).where(User.username == user))
                if user_id is None:
                    fail(f"there is no user {user}")
            search = AuditSearch(
                user_id=user_id,
                operation=operation,
                since=_utc(since),
                before=_utc(before),
            )
            rows = await session.scalars(audit_records(search).order_by(AuditRecord.seq))
            return records_csv(rows)

    text = run(exporting())
    emit(text, output)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
