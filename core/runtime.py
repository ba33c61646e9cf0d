"""Everything built once per process from the settings, shared by all requests."""

from __future__ import annotations

from dataclasses import dataclass

from core.authorization import PermissionTable
from core.db import Database
from core.events import EventBus
from core.metrics import Metrics
from core.plugins import PluginRegistry, load_plugins
from core.rate_limits import RateLimits
from core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    plugins: PluginRegistry
    database: Database
    permissions: PermissionTable
    events: EventBus
    rate_limits: RateLimits
    """This process's request budgets; a test may replace them to set the clock."""
    metrics: Metrics
    """This process's counters, served at ``/metrics``."""

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
        database = Database(settings.database)
        return cls(
            settings=settings,
            plugins=plugins,
            database=database,
            permissions=permissions,
            events=events,
            rate_limits=RateLimits(settings),
            metrics=Metrics(database),
        )

    async def close(self) -> None:
        await self.database.dispose()
