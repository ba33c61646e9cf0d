"""Helpers shared by the ``crm`` commands of the kernel and of plugins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from core import migrations
from core.errors import ConfigurationError
from core.runtime import Runtime
from core.settings import load_settings

T = TypeVar("T")
errors = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Stop the command with one line on standard error and exit status 2."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (the ``-o`` option), or print it."""
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}")


def date_option(text: str, option: str) -> date:
    """A command-line date, or a clean failure naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date written YYYY-MM-DD, not {text!r}")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; configuration problems end it with one line."""
    try:
        return asyncio.run(coroutine)
    except ConfigurationError as error:
        fail(str(error))


def describe_database_error(runtime: Runtime, error: BaseException) -> str:
    where = runtime.database.url.render_as_string(hide_password=True)
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (
        f"cannot use the database {where}: {reason[0] if reason else type(error).__name__}; "
        "check CRM_DATABASE_URL and that the server is running"
    )


async def reachable(runtime: Runtime) -> None:
    """Raise ConfigurationError, in one line, if the database cannot be reached."""
    try:
        await runtime.database.ping()
    except (OSError, SQLAlchemyError) as error:
        raise ConfigurationError(describe_database_error(runtime, error)) from None


@asynccontextmanager
async def open_runtime(*, migrate: bool = False) -> AsyncIterator[Runtime]:
    """The runtime for a command, with the database checked (and upgraded if asked)."""
    runtime = Runtime.create(load_settings())
    try:
        await reachable(runtime)
        if migrate:
            await migrations.upgrade(runtime.database, runtime.plugins)
        yield runtime
    finally:
        await runtime.close()
