"""The migrations build exactly the tables the models declare, on either database."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Index
from sqlalchemy.orm import Mapper
from sqlmodel import SQLModel
from sqlmodel.main import default_registry

from core import migrations
from core.runtime import Runtime


async def test_the_upgraded_database_matches_the_models(runtime: Runtime):
    def differences(connection) -> list:  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with runtime.database.engine.connect() as connection:
        found = await connection.run_sync(differences)

    assert found == [], "write a migration: crm db revision PLUGIN -m ..."


async def test_nothing_is_pending_after_an_upgrade(runtime: Runtime):
    assert await migrations.pending(runtime.database, runtime.plugins) == []


def owner_of(mapper: Mapper) -> str:
    """The plugin whose package declares the model, or the kernel."""
    module = mapper.class_.__module__
    return module.split(".")[1] if module.startswith("plugins.") else "kernel"


async def test_every_table_is_named_after_the_plugin_that_owns_it(runtime: Runtime):
    mappers = list(default_registry.mappers)
    misnamed = [
        (mapper.local_table.name, mapper.class_.__module__)
        for mapper in mappers
        if not mapper.local_table.name.startswith(f"{owner_of(mapper)}_")
    ]

    assert misnamed == [], "a plugin's revision compares the tables named after it only"
    assert len(SQLModel.metadata.tables) == len(mappers), "every table has its model"


def first_index_of(plugin: str) -> Index:
    return next(
        index
        for name, table in sorted(SQLModel.metadata.tables.items())
        if name.startswith(f"{plugin}_")
        for index in sorted(table.indexes, key=lambda index: index.name or "")
    )


async def test_a_plugins_revision_holds_its_own_tables_only(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    plugin = runtime.plugins.installed["marketing"].module
    versions = shutil.copytree(plugin.crm_migrations(), tmp_path / "versions")
    monkeypatch.setattr(plugin, "crm_migrations", lambda: versions)
    its_own, anothers = first_index_of("marketing"), first_index_of("finance")
    engine = runtime.database.engine
    async with engine.begin() as connection:
        for index in (its_own, anothers):
            await connection.run_sync(index.drop)
    try:
        path = Path(
            await migrations.new_revision(runtime.database, runtime.plugins, "marketing", "probe")
        )
    finally:
        async with engine.begin() as connection:
            for index in (its_own, anothers):
                await connection.run_sync(index.create)

    assert path.parent == versions
    written = await asyncio.to_thread(path.read_text)
    assert its_own.name in written
    assert anothers.name not in written
