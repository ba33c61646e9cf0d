"""The security plugin: branches, staff, roles and permissions, sign-in."""

from __future__ import annotations

from pathlib import Path

from core.hookspecs import hookimpl
from core.settings import Settings
from plugins.security import cli, demo, permissions, sign_in
from plugins.security.mutations import SecurityMutation
from plugins.security.queries import SecurityQuery
from plugins.security.types import Branch, User

name = "security"
requires: tuple[str, ...] = ()


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return SecurityQuery


@hookimpl
def crm_mutation() -> type:
    return SecurityMutation


@hookimpl
def crm_types() -> list[type]:
    return [Branch, User]


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


@hookimpl
def crm_authenticate(context, token):  # type: ignore[no-untyped-def]
    runtime = context.runtime
    return sign_in.principal_for_token(
        context.session, runtime.settings, runtime.permissions, token
    )


@hookimpl
def crm_cli(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.add_typer(cli.users, name="users")


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed
