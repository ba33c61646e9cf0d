"""Schema migrations: Alembic, one branch per plugin, and the kernel's own.

Every installed plugin's revisions are on the script path (so a database that
once ran a plugin now disabled still makes sense to Alembic), and only the
kernel's and the enabled plugins' branches are upgraded.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from core import end_of_day, sequences  # noqa: F401  (the kernel's tables, for autogenerate)
from core.db import Database
from core.plugins import PluginRegistry
from core.reference_data import seed_reference_data

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
KERNEL_BRANCH = "kernel"


def alembic_config(registry: PluginRegistry) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    locations = [str(SCRIPT_LOCATION / "versions")]
    locations += [
        str(path)
        for plugin in registry.installed.values()
        if (path := getattr(plugin.module, "crm_migrations", lambda: None)()) is not None
    ]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


def enabled_branches(registry: PluginRegistry, script: ScriptDirectory) -> list[str]:
    """The branch labels to upgrade: the kernel's, then enabled plugins that have tables."""
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    return [KERNEL_BRANCH, *(name for name in registry.names if name in labels)]


async def upgrade(
    database: Database, registry: PluginRegistry, *, reference_data: bool = True
) -> None:
    """Apply every enabled plugin's pending revisions, then seed reference data
    (not when writing a revision: the new tables do not exist yet)."""
    config = alembic_config(registry)
    branches = enabled_branches(registry, ScriptDirectory.from_config(config))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        for branch in branches:
            command.upgrade(config, f"{branch}@head")

    async with database.engine.begin() as connection:
        await connection.run_sync(run)
    if reference_data:
        await seed_reference_data(database, registry)


async def pending(database: Database, registry: PluginRegistry) -> list[str]:
    """Enabled plugins whose branch is not at its head yet (empty: up to date)."""
    script = ScriptDirectory.from_config(alembic_config(registry))

    def current_heads(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with database.engine.connect() as connection:
        applied = await connection.run_sync(current_heads)
    reached = {rev.revision for name in applied for rev in script.iterate_revisions(name, "base")}
    return [
        branch
        for branch in enabled_branches(registry, script)
        if (head := script.get_revision(f"{branch}@head")) is None or head.revision not in reached
    ]


async def new_revision(
    database: Database, registry: PluginRegistry, plugin: str, message: str
) -> str:
    """Write a revision for ``plugin`` from the difference between its models and the
    database (which must be upgraded first), its own tables only; returns the new
    file's path."""
    config = alembic_config(registry)
    info = registry.installed[plugin]
    folder = info.module.crm_migrations()
    script = ScriptDirectory.from_config(config)
    has_branch = any(plugin in rev.branch_labels for rev in script.walk_revisions())

    def write(connection: Connection) -> str:
        config.attributes["connection"] = connection
        config.attributes["tables_of"] = plugin
        revision = command.revision(
            config,
            message=message,
            autogenerate=True,
            head=f"{plugin}@head" if has_branch else "base",
            branch_label=None if has_branch else plugin,
            version_path=str(folder),
        )
        return revision.path  # type: ignore[union-attr]

    async with database.engine.begin() as connection:
        return await connection.run_sync(write)
