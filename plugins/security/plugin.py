"""The security plugin: branches, staff, roles and permissions, sign-in, and
the tamper-evident audit log."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import strawberry

from core.hookspecs import hookimpl
from core.settings import Settings
from plugins.security import cli, demo, permissions, sign_in
from plugins.security.account_mutations import AccountMutation
from plugins.security.audit import cli as audit_cli
from plugins.security.audit.api import AuditQuery
from plugins.security.audit.chain import append
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
    return strawberry.type(type("SecurityPluginQuery", (SecurityQuery, AuditQuery), {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("SecurityPluginMutation", (SecurityMutation, AccountMutation), {}))


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

    def seen_again(session_id: str) -> None:
        context.after_request(partial(sign_in.keep_alive, runtime.database, session_id))

    return sign_in.principal_for_token(
        context.session, runtime.settings, runtime.permissions, token, seen_again
    )


@hookimpl
def crm_audit(session, actor, entry):  # type: ignore[no-untyped-def]
    return append(session, actor, entry)


@hookimpl
def crm_cli(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.add_typer(cli.users, name="users")
    app.add_typer(audit_cli.audit, name="audit")
    app.add_typer(cli.permissions, name="permissions")


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed
