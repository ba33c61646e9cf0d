"""``crm marketing ...``: the marketing plugin's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.cli_support import emit, fail, open_runtime, run
from core.db import Mode
from plugins.marketing.campaign_csv import campaign_report_csv
from plugins.marketing.delivery.worker import deliver

marketing = typer.Typer(help="Marketing campaigns.", no_args_is_help=True)


@marketing.command("deliver")
def deliver_messages() -> None:
    """Send the campaign messages that are due (e-mail, SMS, app); safe to run
    every minute, and from several machines at once on PostgreSQL."""

    async def delivering() -> None:
        async with open_runtime() as runtime:
            report = await deliver(runtime.database)
        Console().print(str(report), highlight=False)

    run(delivering())


@marketing.command("report")
def report(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's number.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV here, not to stdout.")
    ] = None,
) -> None:
    """Print a campaign's funnel, in total, by branch and by relationship manager, as CSV."""

    async def make() -> str | None:
        async with open_runtime() as runtime, runtime.database.transaction(Mode.READ) as session:
            return await campaign_report_csv(session, campaign_id)

    text = run(make())
    if text is None:
        fail(f"there is no campaign {campaign_id}")
    emit(text, output)
