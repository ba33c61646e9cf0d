"""The marketing plugin: the product catalogue with suitability rules,
customers' marketing consent, segments, campaigns delivered through e-mail,
SMS and app gateways with their funnel reports, leads and referrals, events,
and next-best offers."""

from __future__ import annotations

from pathlib import Path

import strawberry

from core.hookspecs import hookimpl
from plugins.marketing import cli, demo, permissions
from plugins.marketing import hookspecs as hookspecs  # offered to the plugins holding products
from plugins.marketing.api.campaign_reports import CampaignReporting
from plugins.marketing.api.campaigns import (
    Campaign,
    CampaignMutation,
    CampaignQuery,
    CustomerMarketing,
    Segment,
)
from plugins.marketing.api.events import CustomerEvents, Event, EventMutation, EventQuery
from plugins.marketing.api.leads import Lead, LeadMutation, LeadQuery
from plugins.marketing.api.offers import CustomerOffers
from plugins.marketing.api.products import ProductMutation, ProductQuery
from plugins.marketing.api.referrals import Referral, ReferralMutation, ReferralQuery
from plugins.marketing.end_of_day import STEPS
from plugins.marketing.events.merge import move_invitations
from plugins.marketing.leads.merge import move_referrals
from plugins.marketing.membership import move_memberships
from plugins.marketing.products import seed_standard_products

name = "marketing"
requires = ("security", "customer")

QUERY_PARTS: tuple[type, ...] = (ProductQuery, CampaignQuery, EventQuery, LeadQuery, ReferralQuery)
MUTATION_PARTS: tuple[type, ...] = (
    ProductMutation,
    CampaignMutation,
    EventMutation,
    LeadMutation,
    ReferralMutation,
)
TYPE_EXTENSIONS: tuple[type, ...] = (
    CustomerMarketing,
    CustomerEvents,
    CustomerOffers,
    CampaignReporting,
)


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
    return [Campaign, Segment, Event, Lead, Referral]


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
    return _move_to_survivor(session, survivor_id, duplicate_id)


async def _move_to_survivor(session, survivor_id: int, duplicate_id: int) -> None:  # type: ignore[no-untyped-def]
    await move_memberships(session, survivor_id, duplicate_id)
    await move_referrals(session, survivor_id, duplicate_id)
    await move_invitations(session, survivor_id, duplicate_id)


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed


@hookimpl
def crm_end_of_day_steps():  # type: ignore[no-untyped-def]
    return STEPS


@hookimpl
def crm_cli(app, settings):  # type: ignore[no-untyped-def]
    app.add_typer(cli.marketing, name="marketing")
