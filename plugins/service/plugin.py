"""The service plugin: consultations, after-sales requests, complaints and
requests, with SLAs in the bank's business hours, escalation, complaints'
regulatory record, satisfaction surveys and service metrics."""

from __future__ import annotations

from pathlib import Path

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from core.hookspecs import hookimpl
from plugins.service import cli, demo, permissions
from plugins.service.api.configuration import ConfigurationMutation, ConfigurationQuery
from plugins.service.api.metrics import MetricsQuery
from plugins.service.api.tickets import CustomerTickets, Ticket, TicketMutation, TicketQuery
from plugins.service.end_of_day import STEPS
from plugins.service.sla import seed_standard_matrix
from plugins.service.tickets import move_tickets
from plugins.service.timeline_events import service_events

name = "service"
requires = ("security", "customer")

QUERY_PARTS: tuple[type, ...] = (TicketQuery, MetricsQuery, ConfigurationQuery)
MUTATION_PARTS: tuple[type, ...] = (TicketMutation, ConfigurationMutation)
TYPE_EXTENSIONS: tuple[type, ...] = (CustomerTickets,)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return strawberry.type(type("ServicePluginQuery", QUERY_PARTS, {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("ServicePluginMutation", MUTATION_PARTS, {}))


@hookimpl
def crm_type_extensions() -> tuple[type, ...]:
    return TYPE_EXTENSIONS


@hookimpl
def crm_types() -> list[type]:
    return [Ticket]


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


async def seed_reference_data(session: AsyncSession) -> None:
    await seed_standard_matrix(session)


@hookimpl
def crm_reference_data():  # type: ignore[no-untyped-def]
    return seed_reference_data


@hookimpl
def crm_end_of_day_steps():  # type: ignore[no-untyped-def]
    return STEPS


@hookimpl
def crm_customer_timeline(session, query):  # type: ignore[no-untyped-def]
    return service_events(session, query)


@hookimpl
def crm_customer_merge(session, survivor_id, duplicate_id):  # type: ignore[no-untyped-def]
    return move_tickets(session, survivor_id, duplicate_id)


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed


@hookimpl
def crm_cli(app, settings):  # type: ignore[no-untyped-def]
    app.add_typer(cli.service, name="service")
