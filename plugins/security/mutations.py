"""Root mutation fields of the security plugin."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.authorization import Access
from core.context import Context
from core.graphql import mutation
from core.rate_limits import SIGN_IN_ATTEMPT
from plugins.security import services, sign_in
from plugins.security.permissions import BRANCH_MANAGE, USER_MANAGE
from plugins.security.types import (
    BranchPayload,
    CreateBranchInput,
    CreateUserInput,
    LoginInput,
    LoginPayload,
    LogoutPayload,
    UserPayload,
)


@strawberry.type
class SecurityMutation:
    @mutation(permission=Access.ANYONE, commit_on_error=True, metadata=SIGN_IN_ATTEMPT)
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        """Sign in; the token goes in `Authorization: Bearer <token>`.

        Wrong passwords in a row lock the username for a while; the answer never
        says whether the username exists.
        """
        context: Context = info.context
        signed_in = await sign_in.sign_in(
            context.session,
            context.runtime.settings,
            input.username,
            input.password,
            input.totp_code,
        )
        return LoginPayload(token=signed_in.token, user=signed_in.user)  # type: ignore[arg-type]

    @mutation(permission=Access.SIGNED_IN)
    async def logout(self, info: Info) -> LogoutPayload:
        """Sign out: this session's token stops working at once."""
        context: Context = info.context
        await sign_in.sign_out(context.session, context.user.session_id)
        return LogoutPayload()

    @mutation(permission=BRANCH_MANAGE)
    async def create_branch(self, info: Info, input: CreateBranchInput) -> BranchPayload:
        """Open a branch."""
        branch = await services.create_branch(info.context.session, input.code, input.name)
        return BranchPayload(branch=branch)  # type: ignore[arg-type]

    @mutation(permission=BRANCH_MANAGE)
    async def rename_branch(self, info: Info, input: CreateBranchInput) -> BranchPayload:
        """Give a branch (named by its code) a new name."""
        branch = await services.rename_branch(info.context.session, input.code, input.name)
        return BranchPayload(branch=branch)  # type: ignore[arg-type]

    @mutation(permission=USER_MANAGE)
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        """Create a staff account with its roles and branch."""
        user = await services.create_user(
            info.context.session,
            username=input.username,
            password=input.password,
            display_name=input.display_name,
            roles=input.roles,
            branch_code=input.branch_code,
        )
        return UserPayload(user=user)  # type: ignore[arg-type]
