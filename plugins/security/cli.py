"""``crm users ...``: bootstrap and manage staff accounts from the command line;
``crm permissions matrix``: who may do what, as a document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.authorization import Role
from core.cli_support import emit, fail, open_runtime, run
from core.db import Mode
from core.errors import BusinessError
from core.runtime import Runtime
from core.settings import load_settings
from plugins.security import services
from plugins.security.permission_matrix import permission_matrix, render_markdown

users = typer.Typer(help="Staff accounts.", no_args_is_help=True)
permissions = typer.Typer(help="Roles and permissions.", no_args_is_help=True)


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


@permissions.command("matrix")
def matrix(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Print, as Markdown, every role's permissions and the roles that may call each root field."""
    document = render_markdown(permission_matrix(Runtime.create(load_settings())))
    emit(document, output)
