"""The ``crm`` command. Plugins add their own sub-commands through ``crm_cli``."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import exists, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core import migrations
from core.backup.cli import backup, restore
from core.business_day import open_business_date
from core.cli_support import date_option, emit, fail, open_runtime, reachable, run
from core.db import Mode
from core.end_of_day import EndOfDayStep, close_business_days
from core.errors import ConfigurationError
from core.hookspecs import DemoOptions
from core.logging import configure_logging
from core.plugins import PluginRegistry, load_plugins
from core.reference_data import is_reference_table
from core.runtime import Runtime
from core.settings import load_settings

console = Console()
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (printed for people trying the demo)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql outside production)."""
    settings = load_settings()
    runtime = Runtime.create(settings)

    async def prepare() -> None:
        try:
            await reachable(runtime)
            if settings.is_sqlite:
                await migrations.upgrade(runtime.database, runtime.plugins)
            elif behind := await migrations.pending(runtime.database, runtime.plugins):
                raise ConfigurationError(
                    f"migrations are pending for {', '.join(behind)}; run `crm db upgrade` first"
                )
            from schema.build import build_schema

            build_schema(runtime)  # refuse to start on a schema conflict, before forking workers
        finally:
            await runtime.close()

    run(prepare())
    configure_logging(settings.log_level)
    if not settings.secret_key:
        logging.getLogger("crm").warning(
            "signing tokens with the development key; set CRM_SECRET_KEY before real use"
        )
    console.print(f"GraphQL API at [bold]http://{host}:{port}/graphql[/]", highlight=False)
    uvicorn.run(
        "core.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # CRM_TRUSTED_PROXIES decides whom to believe (core/client_address.py)
    )


db = typer.Typer(help="The database.", no_args_is_help=True)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every enabled plugin's pending migrations."""

    async def upgrade() -> None:
        async with open_runtime(migrate=True) as runtime:
            console.print(f"database is current for: {', '.join(runtime.plugins.names)}")

    run(upgrade())


@db.command("revision")
def db_revision(
    plugin: Annotated[str, typer.Argument(help="The plugin the revision belongs to.")],
    message: Annotated[str, typer.Option("--message", "-m", help="What it changes.")],
) -> None:
    """Write a new migration for a plugin from its models (for plugin developers)."""

    async def revise() -> None:
        async with open_runtime() as runtime:
            if plugin not in runtime.plugins.names:
                fail(f"plugin {plugin!r} is not enabled")
            await migrations.upgrade(runtime.database, runtime.plugins, reference_data=False)
            path = await migrations.new_revision(runtime.database, runtime.plugins, plugin, message)
            console.print(f"wrote {path}; read it before you commit it")

    run(revise())


schema_cli = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)


@schema_cli.command("export")
def schema_export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Print the SDL of the schema the enabled plugins make."""
    from schema.build import build_schema

    sdl = str(build_schema(Runtime.create(load_settings()))) + "\n"
    emit(sdl, output)


def plugins() -> None:
    """List installed plugins, with their versions and whether they are enabled."""
    registry = load_plugins(load_settings().plugins)
    table = Table("plugin", "version", "enabled", "requires", "from")
    for name, plugin in sorted(registry.installed.items()):
        table.add_row(
            name,
            plugin.version,
            "yes" if registry.is_enabled(name) else "no",
            ", ".join(plugin.requires) or "-",
            plugin.distribution or plugin.module.__name__,
        )
    console.print(table)


def demo(
    password: Annotated[str, typer.Option(help="Password of every demo user.")] = DEMO_PASSWORD,
) -> None:
    """Fill the database with realistic demo data (once; a second run changes nothing)."""

    async def seed() -> bool:
        async with (
            open_runtime(migrate=True) as runtime,
            runtime.database.transaction(Mode.WRITE) as session,
        ):
            if await _has_data(session):
                return False
            options = DemoOptions(password=password, runtime=runtime)
            for plugin, seeder in runtime.plugins.each("crm_demo_data"):
                console.print(f"seeding {plugin.name} ...")
                await seeder(session, options)
        return True

    if run(seed()):
        console.print(
            "demo data ready; sign in as [bold]admin[/] (or bj.manager, bj.rm1, bj.teller, "
            f"auditor, ...) with password [bold]{password}[/]",
            highlight=False,
        )
    else:
        console.print("demo data is already there; nothing changed")


def eod(
    until: Annotated[
        str | None,
        typer.Option(help="Close dates in order until this one (YYYY-MM-DD) is open."),
    ] = None,
) -> None:
    """Run the end-of-day batch: close the open business date and open the next."""

    async def close() -> None:
        async with open_runtime() as runtime:
            async with runtime.database.transaction(Mode.READ) as session:
                opened = await open_business_date(session, runtime.settings)
            target = date_option(until, "--until") if until else opened + timedelta(days=1)
            if target < opened:
                fail(f"{target} is already closed; the open business date is {opened}")
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("end of day", total=(target - opened).days)

                def show(day: date, step: EndOfDayStep) -> None:
                    progress.update(
                        task, description=f"{day} {step.name}", completed=(day - opened).days
                    )

                closed = await close_business_days(runtime, target, on_step=show)
            for day in closed:
                console.print(f"closed {day.business_date}", highlight=False)
                for step, line in day.report.items():
                    console.print(f"  {step}: {line}", highlight=False)
            console.print(f"open business date: {target if closed else opened}", highlight=False)

    run(close())


async def _has_data(session: AsyncSession) -> bool:
    """True if any table holds a row other than reference data: demo data goes
    into an empty bank only.

    Only tables that exist are asked: an installed plugin that was never enabled
    has models but no tables.
    """
    connection = await session.connection()
    created = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    for table in SQLModel.metadata.sorted_tables:
        if is_reference_table(table):
            continue
        if table.name in created and await session.scalar(select(exists().select_from(table))):
            return True
    return False


def build_cli(registry: PluginRegistry) -> typer.Typer:
    app = typer.Typer(
        help="Bank CRM: the customer-relationship system for important customers.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    app.command()(serve)
    app.command()(plugins)
    app.command()(demo)
    app.command()(eod)
    app.command()(backup)
    app.command()(restore)
    app.add_typer(db, name="db")
    app.add_typer(schema_cli, name="schema")
    registry.hook.crm_cli(app=app, settings=load_settings())
    return app


def main() -> None:
    try:
        settings = load_settings()
        registry = load_plugins(settings.plugins)
    except ConfigurationError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    build_cli(registry)()
