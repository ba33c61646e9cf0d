"""The finance plugin's commands: ``crm ledger check``, ``crm reconcile`` and
``crm report``."""

from __future__ import annotations

import enum
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from core.business_day import open_business_date
from core.cli_support import date_option, emit, fail, open_runtime, run
from core.db import Mode
from core.errors import BusinessError, RequestError
from core.runtime import Runtime
from plugins.finance.ledger import check_ledger
from plugins.finance.reconciliation.exceptions import Found
from plugins.finance.reconciliation.matching import Imported, import_statement
from plugins.finance.reconciliation.models import ClearingStatement
from plugins.finance.reconciliation.run import STAGES, reconcile_day
from plugins.finance.reports.balances import BalanceGrouping, daily_balances
from plugins.finance.reports.dates import reportable
from plugins.finance.reports.loan_book import loan_book
from plugins.finance.reports.trial_balance import trial_balance

ledger = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
console = Console()


@ledger.command("check")
def check() -> None:
    """Recompute the ledger: every entry balances and every balance equals its postings."""

    async def verify() -> None:
        async with open_runtime() as runtime, runtime.database.transaction(Mode.READ) as session:
            found = await check_ledger(session)
        if not found.ok:
            fail(
                f"the ledger does not balance: postings sum to {found.total}; "
                f"unbalanced entries {found.unbalanced_entries[:10]}; "
                f"accounts whose balance differs from their postings {found.drifted_accounts[:10]}"
            )
        console.print(
            "the ledger balances: every entry sums to zero, every balance to its postings"
        )

    run(verify())


async def _day(runtime: Runtime, text: str | None) -> date:
    """The ``--date`` given, or the last closed business date."""
    async with runtime.database.transaction(Mode.READ) as session:
        today = await open_business_date(session, runtime.settings)
    return date_option(text, "--date") if text else today - timedelta(days=1)


def reconcile(
    on: Annotated[
        str | None,
        typer.Option("--date", help="The business date (YYYY-MM-DD); default the last closed."),
    ] = None,
    statement: Annotated[
        Path | None,
        typer.Option(help="The clearing side's statement file (CSV) for that date, to match."),
    ] = None,
) -> None:
    """Reconcile a business date: check the books, screen the day's movements
    for anomalies and, given a statement, match it. Findings become exceptions."""

    async def reconciling() -> None:
        async with open_runtime() as runtime:
            day = await _day(runtime, on)
            content = _read(statement) if statement else None
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"reconciling {day}", total=len(STAGES) + 1)

                def show(stage: str) -> None:
                    progress.update(task, description=f"{day} {stage}", advance=1)

                async with runtime.database.transaction(Mode.WRITE) as session:
                    found = await reconcile_day(session, day, on_stage=show)
                    show("clearing statement")
                    if statement is not None and content is not None:
                        imported = await import_statement(
                            session, runtime.settings, day, statement.name, content, None
                        )
                        if imported.statement is None:
                            await session.rollback()
                            _refuse_statement(imported)
            _print_findings(day, found)
            if content is not None and imported.statement is not None:
                _print_statement(imported.statement)

    try:
        run(reconciling())
    except BusinessError as error:
        fail(error.message)


def _refuse_statement(imported: Imported) -> NoReturn:
    for bad in imported.bad_rows:
        console.print(bad.message, highlight=False, markup=False, soft_wrap=True)
    fail(f"{imported.bad_row_count} bad lines; the statement was not imported")


def _print_statement(statement: ClearingStatement) -> None:
    console.print(
        f"statement {statement.file_name}: {statement.lines} lines, {statement.matched} matched, "
        f"{statement.missing_on_our_side} missing on our side, "
        f"{statement.missing_on_their_side} missing on theirs, "
        f"{statement.amount_mismatches} amount mismatches",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {path}: {error}")


def _print_findings(day: date, found: list[Found]) -> None:
    table = Table(title=f"reconciliation of {day}")
    table.add_column("exception")
    table.add_column("found", justify="right")
    table.add_column("new", justify="right")
    for finding in found:
        table.add_row(finding.kind.value, str(finding.total), str(finding.new))
    console.print(table)


class ReportName(enum.StrEnum):
    BALANCES = "balances"
    TRIAL_BALANCE = "trial-balance"
    LOAN_BOOK = "loan-book"


def report(
    name: Annotated[ReportName, typer.Argument(help="Which report.")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="The business date (YYYY-MM-DD); default the last closed."),
    ] = None,
    by: Annotated[
        BalanceGrouping,
        typer.Option(help="balances: group by BRANCH, PRODUCT or TIER.", case_sensitive=False),
    ] = BalanceGrouping.BRANCH,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV here, not to stdout.")
    ] = None,
) -> None:
    """Print a report as CSV: daily balances, the trial balance or the loan book."""

    async def make() -> str:
        async with open_runtime() as runtime:
            day = await _day(runtime, on)
            async with runtime.database.transaction(Mode.READ) as session:
                await reportable(session, runtime.settings, day)
                if name is ReportName.LOAN_BOOK:
                    return (await loan_book(session, day, None)).as_csv()
                if name is ReportName.TRIAL_BALANCE:
                    return (await trial_balance(session, day)).as_csv()
                return (await daily_balances(session, day, by, None)).as_csv()

    try:
        text = run(make())
    except RequestError as error:
        fail(error.message)
    emit(text, output)
