"""What a database holds, as a backup's manifest records it: the Alembic
revisions applied and how many rows each table has."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select, table


@dataclass(frozen=True)
class Contents:
    heads: tuple[str, ...]
    """The Alembic revisions the database is at, sorted."""
    counts: dict[str, int]
    """Rows per table (the application's schema), by table name, sorted."""

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def describe(connection: Connection) -> Contents:
    """The contents as ``connection``'s transaction sees them (one snapshot, when the
    caller holds one)."""
    heads = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    counts = {
        name: connection.scalar(select(func.count()).select_from(table(name))) or 0
        for name in sorted(inspect(connection).get_table_names())
    }
    return Contents(heads=heads, counts=counts)
