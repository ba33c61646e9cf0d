from __future__ import annotations

import types
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pytest

from core.errors import ConfigurationError
from core.hookspecs import hookimpl
from core.plugins import PluginInfo, PluginRegistry, discover, load_plugins


def fake_plugin(
    name: str, requires: tuple[str, ...] = (), **hooks: Callable[..., Any]
) -> PluginInfo:
    """A plugin module made on the spot: ``name``, ``requires`` and hook implementations."""
    module = types.ModuleType(f"fake_plugins.{name}")
    module.name = name  # type: ignore[attr-defined]
    module.requires = requires  # type: ignore[attr-defined]
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return PluginInfo(name=name, module=module, requires=requires, version="1.0")


def installed(*plugins: PluginInfo) -> dict[str, PluginInfo]:
    return {plugin.name: plugin for plugin in plugins}


def test_every_installed_plugin_is_enabled_by_default() -> None:
    registry = PluginRegistry(installed(fake_plugin("a"), fake_plugin("b")), None)

    assert set(registry.names) == {"a", "b"}


def test_only_the_chosen_plugins_are_enabled() -> None:
    registry = PluginRegistry(installed(fake_plugin("a"), fake_plugin("b")), ("b",))

    assert registry.names == ("b",)
    assert registry.is_enabled("b")
    assert not registry.is_enabled("a")


def test_an_unknown_plugin_name_is_refused_with_the_installed_ones_listed() -> None:
    with pytest.raises(ConfigurationError) as refused:
        PluginRegistry(installed(fake_plugin("ledger"), fake_plugin("audit")), ("loyalty",))

    message = str(refused.value)
    assert "'loyalty'" in message
    assert "CRM_PLUGINS" in message
    assert "audit, ledger" in message


def test_a_plugin_whose_requirement_is_not_enabled_is_refused() -> None:
    plugins = installed(fake_plugin("customer"), fake_plugin("loyalty", requires=("customer",)))

    with pytest.raises(ConfigurationError) as refused:
        PluginRegistry(plugins, ("loyalty",))

    message = str(refused.value)
    assert "'loyalty'" in message
    assert "'customer'" in message


def test_plugins_that_require_each_other_in_a_cycle_are_refused() -> None:
    plugins = installed(fake_plugin("a", requires=("b",)), fake_plugin("b", requires=("a",)))

    with pytest.raises(ConfigurationError, match="cycle"):
        PluginRegistry(plugins, None)


def test_enabled_plugins_come_after_the_plugins_they_require() -> None:
    plugins = installed(
        fake_plugin("aardvark", requires=("middle",)),
        fake_plugin("middle", requires=("zebra",)),
        fake_plugin("zebra"),
    )

    registry = PluginRegistry(plugins, None)

    assert registry.names == ("zebra", "middle", "aardvark")


def test_each_calls_a_hook_plugin_by_plugin_in_dependency_order() -> None:
    plugins = installed(
        fake_plugin("a", requires=("b",), crm_types=lambda: ["from a"]),
        fake_plugin("b", crm_types=lambda: ["from b"]),
    )
    registry = PluginRegistry(plugins, None)

    answers = [(plugin.name, answer) for plugin, answer in registry.each("crm_types")]

    assert answers == [("b", ["from b"]), ("a", ["from a"])]


def test_each_skips_plugins_that_answer_none_or_do_not_implement_the_hook() -> None:
    plugins = installed(
        fake_plugin("a", crm_query=lambda: None),
        fake_plugin("b"),
        fake_plugin("c", crm_query=lambda: "C"),
    )
    registry = PluginRegistry(plugins, None)

    assert [(plugin.name, answer) for plugin, answer in registry.each("crm_query")] == [("c", "C")]


def test_each_passes_the_hook_arguments() -> None:
    seen: list[tuple[Any, Any]] = []

    def crm_cli(app: Any, settings: Any) -> None:
        seen.append((app, settings))

    registry = PluginRegistry(installed(fake_plugin("a", crm_cli=crm_cli)), None)

    assert list(registry.each("crm_cli", app="the app", settings="the settings")) == []
    assert seen == [("the app", "the settings")]


def test_each_passes_an_implementation_only_the_arguments_it_declares() -> None:
    def crm_cli(app: Any) -> str:
        return f"added to {app}"

    registry = PluginRegistry(installed(fake_plugin("a", crm_cli=crm_cli)), None)

    assert [answer for _, answer in registry.each("crm_cli", app="crm", settings=None)] == [
        "added to crm"
    ]


def test_hooks_of_disabled_plugins_are_not_called() -> None:
    plugins = installed(
        fake_plugin("a", crm_query=lambda: "A"), fake_plugin("b", crm_query=lambda: "B")
    )
    registry = PluginRegistry(plugins, ("b",))

    assert registry.hook.crm_query() == ["B"]
    assert [answer for _, answer in registry.each("crm_query")] == ["B"]


def test_a_plugin_implementing_an_unknown_hook_is_refused_with_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="'typo'"):
        PluginRegistry(installed(fake_plugin("typo", crm_qurey=lambda: None)), None)


def test_discover_finds_the_built_in_security_plugin_through_its_entry_point() -> None:
    security = discover()["security"]

    assert security.module.__name__ == "plugins.security.plugin"
    assert security.requires == ()
    assert security.version == version("bank-crm")
    assert security.distribution == "bank-crm"


def test_load_plugins_enables_the_discovered_plugins() -> None:
    assert load_plugins(None).is_enabled("security")
