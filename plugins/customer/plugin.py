"""The customer plugin: the customer master, tiers, relationship managers,
relationships, contact history and the 360 view."""

from __future__ import annotations

from pathlib import Path

import strawberry

from core.hookspecs import hookimpl
from plugins.customer import demo, permissions
from plugins.customer import hookspecs as hookspecs  # offered to the plugins requiring this one
from plugins.customer.api.customers import Customer, CustomerMutation, CustomerQuery

name = "customer"
requires = ("security",)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return strawberry.type(type("CustomerPluginQuery", (CustomerQuery,), {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("CustomerPluginMutation", (CustomerMutation,), {}))


@hookimpl
def crm_types() -> list[type]:
    return [Customer]


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed
