"""The migrations build exactly the tables the models declare, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

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
