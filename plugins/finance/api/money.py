"""Money movement in GraphQL: ``deposit``, ``withdraw`` and ``transfer``.

Each is idempotent by its ``idempotencyKey`` (``plugins.finance.movements``):
a retry returns what the first request did, even after the accounts changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, int_ids, model_type_check, mutation, node_id
from core.money import Money
from plugins.finance import loaders, models, movements
from plugins.finance.api.accounts import Account
from plugins.finance.api.transactions import Transaction
from plugins.finance.permissions import ACCOUNT_READ, CASH_HANDLE, MONEY_TRANSFER

KEY_DESCRIPTION = (
    "The same key and the same input give the same result, once; "
    "the same key with another input is refused."
)


async def _sides(info: Info, entry: models.JournalEntry) -> tuple[models.Posting, models.Posting]:
    """A transfer's (debit, credit) postings."""
    postings = await info.context.loader(loaders.postings_by_entry).load(entry.id)
    debit = next(p for p in postings if p.amount < 0)
    credit = next(p for p in postings if p.amount > 0)
    return debit, credit


@strawberry.type(description="Money moved between two accounts in one journal entry.")
class Transfer(relay.Node):
    id: relay.NodeID[int]
    memo: str | None
    created_at: datetime

    is_type_of = model_type_check(models.JournalEntry)

    @strawberry.field
    async def from_account(
        self, root: strawberry.Parent[models.JournalEntry], info: Info
    ) -> Account:
        debit, _ = await _sides(info, root)
        return await info.context.loader(loaders.accounts_by_id).load(debit.account_id)

    @strawberry.field
    async def to_account(self, root: strawberry.Parent[models.JournalEntry], info: Info) -> Account:
        _, credit = await _sides(info, root)
        return await info.context.loader(loaders.accounts_by_id).load(credit.account_id)

    @strawberry.field
    async def amount(self, root: strawberry.Parent[models.JournalEntry], info: Info) -> Money:
        _, credit = await _sides(info, root)
        return Money(amount=credit.amount, currency=credit.currency)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.JournalEntry | None]:
        """A transfer the viewer may see both accounts of."""
        context: Context = info.context
        ids = int_ids(node_ids)
        if not context.user.can(ACCOUNT_READ):
            return [None for _ in ids]
        entries = await context.loader(loaders.entries_by_id).load_many(
            [i for i in ids if i is not None]
        )
        found = {e.id: e for e in entries if e is not None and e.kind == movements.TRANSFER}
        postings = await context.loader(loaders.postings_by_entry).load_many(list(found))
        accounts = await context.loader(loaders.accounts_by_id).load_many(
            [p.account_id for sides in postings for p in sides]
        )
        visible = {a.id for a in accounts if a is not None}
        seen = {
            entry_id
            for entry_id, sides in zip(found, postings, strict=True)
            if all(p.account_id in visible for p in sides)
        }
        return [found.get(i) if i in seen else None for i in ids]  # type: ignore[misc]


@strawberry.input
class CashInput:
    account_id: relay.GlobalID
    amount: Decimal
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    memo: str | None = None


@strawberry.type
class TransactionPayload:
    transaction: Transaction | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class TransferInput:
    from_account_id: relay.GlobalID
    to_account_id: relay.GlobalID
    amount: Decimal
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    memo: str | None = None


@strawberry.type
class TransferPayload:
    transfer: Transfer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _cash(info: Info, input: CashInput, move: movements.CashMovement) -> TransactionPayload:
    context: Context = info.context
    account_id = node_id(input.account_id, "Account")
    entry = await move(
        context.session,
        context.runtime.settings,
        movements.Request(context.user, input.idempotency_key, input.memo),
        account_id,
        input.amount,
    )
    postings = await context.loader(loaders.postings_by_entry).load(entry.id)  # type: ignore[arg-type]
    posting = next(p for p in postings if p.account_id == account_id)
    account = await context.loader(loaders.accounts_by_id).load(account_id)
    return TransactionPayload(transaction=posting, account=account)  # type: ignore[arg-type]


@strawberry.type
class MoneyMutation:
    @mutation(permission=CASH_HANDLE)
    async def deposit(self, info: Info, input: CashInput) -> TransactionPayload:
        """Cash paid in at the counter."""
        return await _cash(info, input, movements.deposit)

    @mutation(permission=CASH_HANDLE)
    async def withdraw(self, info: Info, input: CashInput) -> TransactionPayload:
        """Cash paid out at the counter, within the available balance."""
        return await _cash(info, input, movements.withdraw)

    @mutation(permission=MONEY_TRANSFER)
    async def transfer(self, info: Info, input: TransferInput) -> TransferPayload:
        """Move money between two accounts in your scope, of the same currency."""
        context: Context = info.context
        entry = await movements.transfer(
            context.session,
            context.runtime.settings,
            movements.Request(context.user, input.idempotency_key, input.memo),
            node_id(input.from_account_id, "Account"),
            node_id(input.to_account_id, "Account"),
            input.amount,
        )
        return TransferPayload(transfer=entry)  # type: ignore[arg-type]
