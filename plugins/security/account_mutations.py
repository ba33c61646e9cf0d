"""Root mutation fields for staff accounts after they are made."""

from __future__ import annotations

import time

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.authorization import Access, Role
from core.context import Context
from core.graphql import UserError, mutation, node_id
from plugins.security import accounts, second_factor
from plugins.security.permissions import USER_MANAGE
from plugins.security.types import User


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class ResetUserPasswordInput:
    user_id: relay.GlobalID
    temporary_password: str = strawberry.field(
        description="Given to the user out of band; they must change it when they sign in."
    )


@strawberry.input
class UserInput:
    user_id: relay.GlobalID


@strawberry.input
class SetUserRolesInput:
    user_id: relay.GlobalID
    roles: list[Role] = strawberry.field(description="Every role the user is to hold.")


@strawberry.input
class SecondFactorCodeInput:
    code: str = strawberry.field(description="The six digits the authenticator app shows.")


@strawberry.input
class TurnOffSecondFactorInput:
    password: str


@strawberry.type
class SecondFactorEnrolment:
    secret: str = strawberry.field(description="To type into the app, if it cannot scan.")
    uri: str = strawberry.field(description="`otpauth://...`, for the app's QR code.")


@strawberry.type
class SecondFactorEnrolmentPayload:
    enrolment: SecondFactorEnrolment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StaffAccountPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountMutation:
    @mutation(permission=Access.SIGNED_IN)
    async def change_password(self, info: Info, input: ChangePasswordInput) -> StaffAccountPayload:
        """Change your own password; your other sign-ins end."""
        context: Context = info.context
        user = await accounts.change_own_password(
            context.session, context.user, input.current_password, input.new_password
        )
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=USER_MANAGE)
    async def reset_user_password(
        self, info: Info, input: ResetUserPasswordInput
    ) -> StaffAccountPayload:
        """Set a temporary password, to be changed at the next sign-in; the
        user's sessions end."""
        context: Context = info.context
        user = await accounts.reset_password(
            context.session,
            context.user,
            node_id(input.user_id, "User"),
            input.temporary_password,
        )
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=USER_MANAGE)
    async def set_user_roles(self, info: Info, input: SetUserRolesInput) -> StaffAccountPayload:
        """Replace a user's roles (head office: anyone's; a branch: its staff's)."""
        context: Context = info.context
        user = await accounts.set_roles(
            context.session, context.user, node_id(input.user_id, "User"), input.roles
        )
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=USER_MANAGE)
    async def disable_user(self, info: Info, input: UserInput) -> StaffAccountPayload:
        """Disable an account: its sessions end and it cannot sign in."""
        context: Context = info.context
        user = await accounts.set_active(
            context.session, context.user, node_id(input.user_id, "User"), active=False
        )
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=USER_MANAGE)
    async def enable_user(self, info: Info, input: UserInput) -> StaffAccountPayload:
        """Enable a disabled account again."""
        context: Context = info.context
        user = await accounts.set_active(
            context.session, context.user, node_id(input.user_id, "User"), active=True
        )
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=Access.SIGNED_IN)
    async def logout_everywhere(self, info: Info) -> StaffAccountPayload:
        """Sign out of every session of your account, this one included."""
        context: Context = info.context
        await accounts.end_sessions(context.session, context.user.user_id)
        return StaffAccountPayload()

    @mutation(permission=Access.SIGNED_IN)
    async def enrol_second_factor(self, info: Info) -> SecondFactorEnrolmentPayload:
        """Start turning on sign-in codes from an authenticator app: scan the
        answer's URI, then confirm with a code."""
        context: Context = info.context
        user = await accounts.own_account(context.session, context.user)
        enrolment = second_factor.enrol(context.runtime.settings, user)
        context.session.add(user)
        return SecondFactorEnrolmentPayload(
            enrolment=SecondFactorEnrolment(secret=enrolment.secret, uri=enrolment.uri)
        )

    @mutation(permission=Access.SIGNED_IN)
    async def confirm_second_factor(
        self, info: Info, input: SecondFactorCodeInput
    ) -> StaffAccountPayload:
        """Turn sign-in codes on with a first code from the app."""
        context: Context = info.context
        user = await accounts.own_account(context.session, context.user)
        second_factor.confirm(context.runtime.settings, user, input.code, time.time())
        context.session.add(user)
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]

    @mutation(permission=Access.SIGNED_IN)
    async def turn_off_second_factor(
        self, info: Info, input: TurnOffSecondFactorInput
    ) -> StaffAccountPayload:
        """Stop asking for sign-in codes; your password proves it is you."""
        context: Context = info.context
        user = await accounts.own_account(context.session, context.user, input.password)
        second_factor.turn_off(user)
        context.session.add(user)
        return StaffAccountPayload(user=user)  # type: ignore[arg-type]
