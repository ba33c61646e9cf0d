"""``crm users ...``: bootstrap and manage staff accounts from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from core.authorization import Role
from core.cli_support import fail, open_runtime, run
from core.db import Mode
from core.errors import BusinessError
from plugins.security import services

users = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@users.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. admin.")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    display_name: Annotated[
        str | None, typer.Option(help="Shown name; default the username.")
    ] = None,
    branch: Annotated[str | None, typer.Option(help="Branch code; omit for head office.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account (for instance the first administrator)."""
    if not password_stdin:
        fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")

    async def create_user() -> None:
        async with (
            open_runtime(migrate=True) as runtime,
            runtime.database.transaction(Mode.WRITE) as session,
        ):
            user = await services.create_user(
                session,
                username=username,
                password=password,
                display_name=display_name or username,
                roles=role,
                branch_code=branch,
            )
        typer.echo(f"created user {user.username} ({', '.join(r.value for r in role)})")

    try:
        run(create_user())
    except BusinessError as error:
        fail(f"{error.message} ({error.code})")
