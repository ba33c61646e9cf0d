"""Building the schema refuses every inconsistency between plugins, naming them."""

from __future__ import annotations

import re
import types

import pytest
import strawberry

from core.authorization import Access, Permission, Role
from core.errors import ConfigurationError
from core.graphql import extends, query
from core.hookspecs import hookimpl
from core.plugins import PluginInfo, PluginRegistry, discover
from core.runtime import Runtime
from schema.build import build_schema
from tests.conftest import settings_for


def plugin(name: str, **hooks: object) -> PluginInfo:
    module = types.ModuleType(f"fake_{name}")
    module.name = name  # type: ignore[attr-defined]
    for hook_name, answer in hooks.items():
        setattr(module, hook_name, hookimpl(lambda answer=answer: answer))
    return PluginInfo(name=name, module=module, requires=("security",))


def refused(fragment: str):  # type: ignore[no-untyped-def]
    """Expect start-up to be refused with a message containing ``fragment``."""
    return pytest.raises(ConfigurationError, match=re.escape(fragment))


def build(database_url: str, *fakes: PluginInfo) -> None:
    installed = {**discover(), **{fake.name: fake for fake in fakes}}
    registry = PluginRegistry(installed, None)
    build_schema(Runtime.create(settings_for(database_url), plugins=registry))


@strawberry.type
class Unguarded:
    @strawberry.field
    def wide_open(self) -> int:
        return 1


@strawberry.type
class NeedsUndefined:
    @query(permission="nobody.defines.this")
    def guarded(self) -> int:
        return 1


@strawberry.type
class AlsoMe:
    @query(permission=Access.SIGNED_IN)
    def me(self) -> int:
        return 1


@extends("Planet")
@strawberry.type
class OnPlanet:
    orbit: int = 1


@extends("User")
@strawberry.type
class OnUserUsername:
    username: str = ""


@extends("User")
@strawberry.type
class OnUserNickname:
    nickname: str = ""


@strawberry.type
class NotMarked:
    nickname: str = ""


def test_a_root_field_without_a_permission_is_refused(database_url):
    with refused("Query.wideOpen (plugin 'bad') declares no"):
        build(database_url, plugin("bad", crm_query=Unguarded))


def test_a_root_field_needing_an_undefined_permission_is_refused(database_url):
    with refused("'nobody.defines.this', which is not defined"):
        build(database_url, plugin("bad", crm_query=NeedsUndefined))


def test_two_plugins_defining_one_root_field_are_refused(database_url):
    with refused("Query.me is defined by both plugin 'security' and plugin 'bad'"):
        build(database_url, plugin("bad", crm_query=AlsoMe))


def test_adding_to_a_type_no_plugin_defines_is_refused(database_url):
    with refused("bad add fields to type(s) Planet"):
        build(database_url, plugin("bad", crm_type_extensions=[OnPlanet]))


def test_adding_a_field_the_owner_already_has_is_refused(database_url):
    with refused("plugin 'bad' adds field User.username, which its owner"):
        build(database_url, plugin("bad", crm_type_extensions=[OnUserUsername]))


def test_two_plugins_adding_the_same_field_are_refused(database_url):
    with refused("plugin 'second' adds field User.nickname, which plugin 'first' already defines"):
        build(
            database_url,
            plugin("first", crm_type_extensions=[OnUserNickname]),
            plugin("second", crm_type_extensions=[OnUserNickname]),
        )


def test_an_extension_without_its_target_type_is_refused(database_url):
    with refused("NotMarked from crm_type_extensions without"):
        build(database_url, plugin("bad", crm_type_extensions=[NotMarked]))


def test_a_grant_of_an_undefined_permission_is_refused(database_url):
    with refused("granted 'ghost.power', which no enabled"):
        build(database_url, plugin("bad", crm_role_grants={Role.TELLER: ["ghost.power"]}))


def test_a_plugin_may_define_and_grant_its_own_permissions(database_url):
    build(
        database_url,
        plugin(
            "good",
            crm_permissions=[Permission("good.read", "Read good things.")],
            crm_role_grants={Role.TELLER: ["good.read"]},
        ),
    )
