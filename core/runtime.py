"""Everything built once per process from the settings, shared by all requests."""

from __future__ import annotations

from dataclasses import dataclass

from core.authorization import PermissionTable
from core.db import Database
from core.events import EventBus
from core.plugins import PluginRegistry, load_plugins
from core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    plugins: PluginRegistry
    database: Database
    permissions: PermissionTable
    events: EventBus

    @classmethod
    def create(cls, settings: Settings, plugins: PluginRegistry | None = None) -> Runtime:
        """Load the enabled plugins (unless given) and gather what they declare.

        Raises ConfigurationError for an unknown plugin, a missing requirement
        or an inconsistent permission declaration.
        """
        plugins = plugins or load_plugins(settings.plugins)
        permissions = PermissionTable(
            permissions=[p for answer in plugins.hook.crm_permissions() for p in answer],
            grants=plugins.hook.crm_role_grants(),
        )
        events = EventBus(answer for _, answer in plugins.each("crm_event_listeners"))
        return cls(
            settings=settings,
            plugins=plugins,
            database=Database(settings.database),
            permissions=permissions,
            events=events,
        )

    async def close(self) -> None:
        await self.database.dispose()
