"""``crm ledger ...``: proving the books from the command line."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli_support import fail, open_runtime, run
from core.db import Mode
from plugins.finance.ledger import check_ledger

ledger = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


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
        Console().print(
            "the ledger balances: every entry sums to zero, every balance to its postings"
        )

    run(verify())
