"""The GraphQL types the security plugin owns. Resolvers return ORM rows as is."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.authorization import Role
from core.context import Context
from core.graphql import UserError, int_ids, model_type_check
from core.pagination import CountedConnection
from plugins.security import loaders, models
from plugins.security.permissions import can_see_user


@strawberry.type(description="A branch (网点) of the bank.")
class Branch(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str

    is_type_of = model_type_check(models.Branch)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Branch | None]:
        context: Context = info.context
        context.user  # noqa: B018  (signed in: any member of staff may see any branch)
        ids = int_ids(node_ids)
        return await context.loader(loaders.branches_by_id).load_many(ids)


@strawberry.type(description="A member of staff who signs in.")
class User(relay.Node):
    id: relay.NodeID[int]
    username: str
    display_name: str
    is_active: bool = strawberry.field(description="A disabled account cannot sign in.")
    must_change_password: bool = strawberry.field(
        description="Signed in with a temporary password: it must be changed first."
    )

    @strawberry.field(description="Signs in with an authenticator app's code as well.")
    def has_second_factor(self, root: strawberry.Parent[models.User]) -> bool:
        return root.totp_secret is not None

    is_type_of = model_type_check(models.User)

    @strawberry.field
    async def roles(self, root: strawberry.Parent[models.User], info: Info) -> list[Role]:
        return await info.context.loader(loaders.roles_by_user_id).load(root.id)

    @strawberry.field(description="Null for head-office users, who are not bound to one branch.")
    async def branch(self, root: strawberry.Parent[models.User], info: Info) -> Branch | None:
        if root.branch_id is None:
            return None
        return await info.context.loader(loaders.branches_by_id).load(root.branch_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.User | None]:
        """Staff with ``user.read`` see the staff of their scope; anyone else only themselves."""
        context: Context = info.context
        principal = context.user
        users = await context.loader(loaders.users_by_id).load_many(int_ids(node_ids))
        return [
            user if user and can_see_user(principal, user.id, user.branch_id) else None  # type: ignore[arg-type]
            for user in users
        ]


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection(CountedConnection):
    edges: list[UserEdge]
    page_info: relay.PageInfo


@strawberry.type
class BranchPayload:
    branch: Branch | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateBranchInput:
    code: str
    name: str


@strawberry.input
class CreateUserInput:
    username: str
    password: str
    display_name: str
    roles: list[Role]
    branch_code: str | None = None


@strawberry.input
class LoginInput:
    username: str
    password: str
    totp_code: str | None = strawberry.field(
        default=None, description="The authenticator app's code, for users who turned it on."
    )
