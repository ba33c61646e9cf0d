"""Transactions in GraphQL: an account's postings, newest first."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql import int_ids, model_type_check
from core.money import Money
from plugins.finance import loaders, models
from plugins.finance.references import posting_reference


@strawberry.enum
class EntryDirection(enum.Enum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


@strawberry.type(description="One posting on an account: money in (CREDIT) or out (DEBIT).")
class Transaction(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(
        description="DEPOSIT, WITHDRAWAL, TRANSFER_IN, TRANSFER_OUT, INTEREST, FIXED_DEPOSIT, "
        "MATURITY, CLOSING, LOAN_DISBURSEMENT, LOAN_REPAYMENT, ..."
    )
    value_date: date = strawberry.field(description="The business date it counts on.")
    posted_at: datetime

    is_type_of = model_type_check(models.Posting, loaders.PostingLine)

    @strawberry.field(description="The transaction reference (流水号) on statements.")
    def reference(self, root: strawberry.Parent[models.Posting]) -> str:
        return posting_reference(root.id, root.value_date)  # type: ignore[arg-type]

    @strawberry.field
    def direction(self, root: strawberry.Parent[models.Posting]) -> EntryDirection:
        return EntryDirection.CREDIT if root.amount > 0 else EntryDirection.DEBIT

    @strawberry.field(description="Always positive; `direction` says which way.")
    def amount(self, root: strawberry.Parent[models.Posting]) -> Money:
        return Money(amount=abs(root.amount), currency=root.currency)

    @strawberry.field
    def balance_after(self, root: strawberry.Parent[models.Posting]) -> Money:
        return Money(amount=root.balance_after, currency=root.currency)

    @strawberry.field
    async def memo(self, root: strawberry.Parent[models.Posting], info: Info) -> str | None:
        entry = await info.context.loader(loaders.entries_by_id).load(root.entry_id)
        return entry.memo if entry is not None else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Posting | None]:
        return await info.context.loader(loaders.postings_by_id).load_many(int_ids(node_ids))


@strawberry.type
class TransactionEdge:
    cursor: str
    node: Transaction


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: relay.PageInfo
