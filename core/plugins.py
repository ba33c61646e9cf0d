"""Finding, enabling and ordering plugins.

Built-in plugins and third-party ones are found the same way: through the
entry-point group ``crm.plugins``, whose value is the plugin module. The
settings' ``plugins`` (``CRM_PLUGINS``) picks which installed ones are
enabled; by default, all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from core import hookspecs
from core.errors import ConfigurationError

ENTRY_POINT_GROUP = "crm.plugins"


@dataclass(frozen=True)
class PluginInfo:
    """One installed plugin: its name, what it requires, and where it came from."""

    name: str
    module: ModuleType = field(repr=False)
    requires: tuple[str, ...] = ()
    version: str = ""
    distribution: str = ""


def discover() -> dict[str, PluginInfo]:
    """Every plugin installed in this environment, by name."""
    found: dict[str, PluginInfo] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = entry_point.load()
        except Exception as error:
            raise ConfigurationError(
                f"plugin {entry_point.name!r} ({entry_point.value}) failed to import: {error}"
            ) from error
        name = getattr(module, "name", entry_point.name)
        if name in found:
            raise ConfigurationError(
                f"two installed plugins are named {name!r}: "
                f"{found[name].module.__name__} and {module.__name__}"
            )
        dist = entry_point.dist
        found[name] = PluginInfo(
            name=name,
            module=module,
            requires=tuple(getattr(module, "requires", ())),
            version=dist.version if dist else "",
            distribution=dist.name if dist else "",
        )
    return found


class PluginRegistry:
    """The enabled plugins, registered with pluggy, in dependency order."""

    def __init__(self, installed: dict[str, PluginInfo], enabled_names: tuple[str, ...] | None):
        self.installed = installed
        chosen = enabled_names if enabled_names is not None else tuple(sorted(installed))
        valid = ", ".join(sorted(installed)) or "none"
        for name in chosen:
            if name not in installed:
                raise ConfigurationError(
                    f"CRM_PLUGINS names {name!r}, which is not installed; "
                    f"installed plugins: {valid}"
                )
        for name in chosen:
            for needed in installed[name].requires:
                if needed not in installed:
                    raise ConfigurationError(
                        f"plugin {name!r} requires plugin {needed!r}, which is not installed; "
                        f"install it, or leave {name!r} out of CRM_PLUGINS"
                    )
                if needed not in chosen:
                    raise ConfigurationError(
                        f"plugin {name!r} requires plugin {needed!r}, which is not enabled; "
                        f"add {needed!r} to CRM_PLUGINS (installed plugins: {valid})"
                    )
        try:
            ordered = TopologicalSorter(
                {name: installed[name].requires for name in sorted(chosen)}
            ).static_order()
            self.enabled: tuple[PluginInfo, ...] = tuple(installed[name] for name in ordered)
        except CycleError as error:
            raise ConfigurationError(
                f"plugins require each other in a cycle: {error.args[1]}"
            ) from None

        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        for plugin in self.enabled:
            # A plugin may offer extension points of its own (the customer plugin's
            # timeline, say) for the plugins that require it to implement.
            if (own_specs := getattr(plugin.module, "hookspecs", None)) is not None:
                self.manager.add_hookspecs(own_specs)
        for plugin in self.enabled:
            try:
                self.manager.register(plugin.module, name=plugin.name)
            except pluggy.PluginValidationError as error:
                raise ConfigurationError(f"plugin {plugin.name!r}: {error}") from None
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as error:
            name = self.manager.get_name(error.plugin)
            raise ConfigurationError(f"plugin {name!r}: {error}") from None

    @property
    def hook(self) -> Any:
        return self.manager.hook

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(plugin.name for plugin in self.enabled)

    def is_enabled(self, name: str) -> bool:
        return name in self.names

    def each(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[PluginInfo, Any]]:
        """Call one hook plugin by plugin in dependency order, yielding non-None answers."""
        impls = {impl.plugin_name: impl for impl in getattr(self.hook, hook_name).get_hookimpls()}
        for plugin in self.enabled:
            impl = impls.get(plugin.name)
            if impl is None:
                continue
            answer = impl.function(*(kwargs[name] for name in impl.argnames))
            if answer is not None:
                yield plugin, answer


def load_plugins(enabled_names: tuple[str, ...] | None) -> PluginRegistry:
    """Discover installed plugins and enable the chosen ones (None: every one)."""
    return PluginRegistry(discover(), enabled_names)
