"""``crm customers ...``: batch work on customers from the command line."""

from __future__ import annotations

import typer
from rich.console import Console

from core.business_day import open_business_date
from core.cli_support import open_runtime, run
from core.db import Mode
from plugins.customer.tiers import recompute_tiers

customers = typer.Typer(help="Customers.", no_args_is_help=True)


@customers.command("retier")
def retier() -> None:
    """Put every active customer in the tier their assets earn now."""

    async def recompute() -> None:
        async with (
            open_runtime() as runtime,
            runtime.database.transaction(Mode.WRITE) as session,
        ):
            today = await open_business_date(session, runtime.settings)
            done = await recompute_tiers(session, runtime.plugins, runtime.events, on=today)
        Console().print(
            f"examined {done.examined} customers: {done.upgraded} upgraded, "
            f"{done.downgraded} downgraded"
        )

    run(recompute())
