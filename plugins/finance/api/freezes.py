"""Freezing accounts and releasing freezes, in GraphQL."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, mutation, node_id
from plugins.finance import freezes, loaders
from plugins.finance.api.accounts import Account, AccountFreeze
from plugins.finance.models import FreezeMode
from plugins.finance.permissions import ACCOUNT_FREEZE


@strawberry.input
class FreezeAccountInput:
    account_id: relay.GlobalID
    mode: FreezeMode
    reason: str
    amount: Decimal | None = strawberry.field(default=None, description="PARTIAL only.")


@strawberry.input
class UnfreezeAccountInput:
    freeze_id: relay.GlobalID
    reason: str


@strawberry.type
class FreezePayload:
    freeze: AccountFreeze | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _payload(info: Info, freeze) -> FreezePayload:  # type: ignore[no-untyped-def]
    account = await info.context.loader(loaders.accounts_by_id).load(freeze.account_id)
    return FreezePayload(freeze=freeze, account=account)


@strawberry.type
class FreezeMutation:
    @mutation(permission=ACCOUNT_FREEZE)
    async def freeze_account(self, info: Info, input: FreezeAccountInput) -> FreezePayload:
        """Freeze an account: FULL, DEBIT (只收不付) or PARTIAL (hold an amount)."""
        context: Context = info.context
        freeze = await freezes.freeze_account(
            context.session,
            context.user,
            node_id(input.account_id, "Account"),
            input.mode,
            input.reason,
            input.amount,
        )
        return await _payload(info, freeze)

    @mutation(permission=ACCOUNT_FREEZE)
    async def unfreeze_account(self, info: Info, input: UnfreezeAccountInput) -> FreezePayload:
        """Release one freeze; the others stay."""
        context: Context = info.context
        freeze = await freezes.unfreeze(
            context.session, context.user, node_id(input.freeze_id, "AccountFreeze"), input.reason
        )
        return await _payload(info, freeze)
