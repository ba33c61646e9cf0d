"""Reference data: rows every bank starts with (standard products, for instance).

Schema comes from migrations; the rows a plugin needs to work at all come from
its ``crm_reference_data`` seeder, run after every upgrade. Seeders are
idempotent (insert what is missing, leave the rest), so an operator's later
changes (a new rate) survive the next upgrade.

Tables of reference data say so (``__table_args__ = REFERENCE_TABLE``), so that
``crm demo`` still sees a bank holding nothing but them as empty.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from core.db import Database, Mode
from core.plugins import PluginRegistry

REFERENCE_TABLE: dict[str, Any] = {"info": {"crm_reference_data": True}}


def is_reference_table(table: Table) -> bool:
    return bool(table.info.get("crm_reference_data"))


async def seed_reference_data(database: Database, plugins: PluginRegistry) -> None:
    """Run every enabled plugin's seeder, in dependency order, in one transaction."""
    async with database.transaction(Mode.WRITE) as session:
        for _, seed in plugins.each("crm_reference_data"):
            if seed is not None:
                await seed(session)
