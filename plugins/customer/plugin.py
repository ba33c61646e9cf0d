"""The customer plugin: the customer master, tiers, relationship managers,
relationships, contact history and the 360 view."""

from __future__ import annotations

from pathlib import Path

import strawberry

from core.hookspecs import hookimpl
from plugins.customer import cli, demo, end_of_day, permissions
from plugins.customer import hookspecs as hookspecs  # offered to the plugins requiring this one
from plugins.customer.api.contacts import (
    ContactsMutation,
    ContactsQuery,
    CustomerContacts,
    FollowUp,
    Interaction,
)
from plugins.customer.api.customers import Customer, CustomerMutation, CustomerQuery
from plugins.customer.api.merge import MergeMutation
from plugins.customer.api.portfolio import CustomerManagerHistory, PortfolioMutation, UserPortfolio
from plugins.customer.api.profile import ProfileMutation
from plugins.customer.api.relationships import CustomerRelationships, RelationshipMutation
from plugins.customer.api.reveal import RevealMutation
from plugins.customer.api.sharing import CustomerShares, SharingMutation
from plugins.customer.api.tiers import CustomerTierHistory, TierMutation
from plugins.customer.api.timeline import CustomerTimeline
from plugins.customer.timeline_events import customer_events

name = "customer"
requires = ("security",)

# Each concept's GraphQL lives in its own module of plugins/customer/api;
# add its parts here.
QUERY_PARTS: tuple[type, ...] = (CustomerQuery, ContactsQuery)
MUTATION_PARTS: tuple[type, ...] = (
    CustomerMutation,
    ContactsMutation,
    ProfileMutation,
    SharingMutation,
    MergeMutation,
    RelationshipMutation,
    PortfolioMutation,
    TierMutation,
    RevealMutation,
)
TYPE_EXTENSIONS: tuple[type, ...] = (
    CustomerShares,
    CustomerContacts,
    CustomerTimeline,
    UserPortfolio,
    CustomerManagerHistory,
    CustomerTierHistory,
    CustomerRelationships,
)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return strawberry.type(type("CustomerPluginQuery", QUERY_PARTS, {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("CustomerPluginMutation", MUTATION_PARTS, {}))


@hookimpl
def crm_type_extensions() -> tuple[type, ...]:
    return TYPE_EXTENSIONS


@hookimpl
def crm_types() -> list[type]:
    return [Customer, Interaction, FollowUp]


@hookimpl
def crm_customer_timeline(session, query):  # type: ignore[no-untyped-def]
    return customer_events(session, query)


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


@hookimpl
def crm_end_of_day_steps():  # type: ignore[no-untyped-def]
    return end_of_day.STEPS


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed


@hookimpl
def crm_cli(app, settings):  # type: ignore[no-untyped-def]
    app.add_typer(cli.customers, name="customers")
