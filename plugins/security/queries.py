"""Root query fields of the security plugin."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.authorization import Access
from core.context import Context
from core.graphql import query
from core.pagination import keyset_page
from plugins.security import loaders, models
from plugins.security.permissions import USER_READ, visible_branch
from plugins.security.types import Branch, User, UserConnection, UserEdge


@strawberry.type
class SecurityQuery:
    @query(permission=Access.ANYONE)
    async def me(self, info: Info) -> User | None:
        """The signed-in user; null when nobody is signed in."""
        context: Context = info.context
        if context.principal is None:
            return None
        return await context.loader(loaders.users_by_id).load(context.principal.user_id)

    @query(permission=Access.SIGNED_IN)
    async def branches(self, info: Info) -> list[Branch]:
        """Every branch of the bank, by code."""
        context: Context = info.context
        rows = await context.session.scalars(select(models.Branch).order_by(models.Branch.code))
        return list(rows)  # type: ignore[arg-type]

    @query(permission=USER_READ)
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        branch_code: str | None = None,
    ) -> UserConnection:
        """Staff accounts in your scope (head office: every branch), optionally of one
        branch, in the order they were created."""
        context: Context = info.context
        statement = select(models.User)
        if (scope := visible_branch(context.user)) is not None:
            statement = statement.where(models.User.branch_id == scope)
        if branch_code is not None:
            statement = statement.join(models.Branch).where(
                models.Branch.code == branch_code.strip().upper()
            )
        page = await keyset_page(
            context.session,
            statement,
            models.User.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
        )
        return UserConnection(
            edges=page.edges(UserEdge),
            page_info=page.page_info,
            counted=statement,
        )
