"""The audit log for auditors, through GraphQL."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.context import Context
from core.graphql import node_id, query
from core.pagination import CountedConnection, keyset_page
from plugins.security import loaders
from plugins.security.audit import models
from plugins.security.audit.search import AuditSearch, audit_records
from plugins.security.permissions import AUDIT_READ
from plugins.security.types import Branch, User


@strawberry.type(description="One audited operation, a link of the tamper-evident chain.")
class AuditRecord:
    seq: int = strawberry.field(description="Its place in the chain, from 1, without gaps.")
    at: datetime
    username: str | None = strawberry.field(description="None for an anonymous caller.")
    kind: str = strawberry.field(description="MUTATION or PERSONAL_DATA_READ.")
    operation: str
    outcome: str = strawberry.field(description="OK, or the error code it ended with.")
    objects: list[str] = strawberry.field(description="The global IDs of what it touched.")
    arguments: JSON = strawberry.field(description="With personal data and secrets redacted.")
    request_id: str
    client_address: str | None
    hash: str

    @strawberry.field
    def roles(self, root: strawberry.Parent[models.AuditRecord]) -> list[str]:
        return root.roles.split(",") if root.roles else []

    @strawberry.field
    async def user(self, root: strawberry.Parent[models.AuditRecord], info: Info) -> User | None:
        if root.user_id is None:
            return None
        return await info.context.loader(loaders.users_by_id).load(root.user_id)  # type: ignore[return-value]

    @strawberry.field
    async def branch(
        self, root: strawberry.Parent[models.AuditRecord], info: Info
    ) -> Branch | None:
        if root.branch_id is None:
            return None
        return await info.context.loader(loaders.branches_by_id).load(root.branch_id)  # type: ignore[return-value]


@strawberry.type
class AuditRecordEdge:
    cursor: str
    node: AuditRecord


@strawberry.type
class AuditRecordConnection(CountedConnection):
    edges: list[AuditRecordEdge]
    page_info: relay.PageInfo


@strawberry.input
class AuditFilter:
    user_id: relay.GlobalID | None = None
    operation: str | None = strawberry.field(default=None, description="E.g. createCustomer.")
    object_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Records that touched this object."
    )
    since: datetime | None = None
    before: datetime | None = None


@strawberry.type
class AuditQuery:
    @query(permission=AUDIT_READ)
    async def audit_records(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditRecordConnection:
        """The audit log, newest first."""
        context: Context = info.context
        given = filter or AuditFilter()
        user_id = node_id(given.user_id, "User") if given.user_id is not None else None
        search = AuditSearch(
            user_id=-1 if given.user_id is not None and user_id is None else user_id,
            operation=given.operation,
            object_id=str(given.object_id) if given.object_id is not None else None,
            since=given.since,
            before=given.before,
        )
        statement = audit_records(search)
        page = await keyset_page(
            context.session,
            statement,
            models.AuditRecord.seq,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return AuditRecordConnection(
            edges=page.edges(AuditRecordEdge),
            page_info=page.page_info,
            counted=statement,
        )
