"""``crm service ...``: the service plugin's commands."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli_support import open_runtime, run
from core.db import Mode
from plugins.service.escalation import escalate_tickets

service = typer.Typer(help="Customer service.", no_args_is_help=True)


@service.command("escalate")
def escalate() -> None:
    """Escalate tickets whose deadline is near or past; safe to run every few minutes."""

    async def escalating() -> None:
        async with open_runtime() as runtime, runtime.database.transaction(Mode.WRITE) as session:
            made = await escalate_tickets(session, runtime.events)
        console = Console()
        for event in made:
            console.print(
                f"{event.ticket_no}: {event.deadline.value} {event.level.value} "
                f"(due {event.due_at:%Y-%m-%d %H:%M} UTC)",
                highlight=False,
            )
        console.print(f"{len(made)} escalated", highlight=False)

    run(escalating())
