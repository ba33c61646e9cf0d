"""The marketing plugin: the product catalogue with suitability rules,
customers' marketing consent, saved segments, and campaigns from draft to
completed with their members' responses."""

from __future__ import annotations

from pathlib import Path

import strawberry

from core.hookspecs import hookimpl
from plugins.marketing import demo, permissions
from plugins.marketing import hookspecs as hookspecs  # offered to the plugins holding products
from plugins.marketing.api.campaigns import (
    Campaign,
    CampaignMutation,
    CampaignQuery,
    CustomerMarketing,
    Segment,
)
from plugins.marketing.api.products import ProductMutation, ProductQuery
from plugins.marketing.delivery import models as delivery_tables  # noqa: F401  (registered)
from plugins.marketing.events import models as event_tables  # noqa: F401
from plugins.marketing.leads import models as lead_tables  # noqa: F401
from plugins.marketing.membership import move_memberships
from plugins.marketing.products import seed_standard_products

name = "marketing"
requires = ("security", "customer")

QUERY_PARTS: tuple[type, ...] = (ProductQuery, CampaignQuery)
MUTATION_PARTS: tuple[type, ...] = (ProductMutation, CampaignMutation)
TYPE_EXTENSIONS: tuple[type, ...] = (CustomerMarketing,)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return strawberry.type(type("MarketingPluginQuery", QUERY_PARTS, {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("MarketingPluginMutation", MUTATION_PARTS, {}))


@hookimpl
def crm_type_extensions() -> tuple[type, ...]:
    return TYPE_EXTENSIONS


@hookimpl
def crm_types() -> list[type]:
    return [Campaign, Segment]


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


@hookimpl
def crm_reference_data():  # type: ignore[no-untyped-def]
    return seed_standard_products


@hookimpl
def crm_customer_merge(session, survivor_id, duplicate_id):  # type: ignore[no-untyped-def]
    return move_memberships(session, survivor_id, duplicate_id)


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed
