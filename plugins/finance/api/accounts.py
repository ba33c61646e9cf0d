"""Accounts in GraphQL: ``Account``, ``AccountFreeze``, the customer's accounts
and assets, and opening and closing accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import page_size
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.customer.assets import assets_of
from plugins.finance import loaders, models
from plugins.finance.accounts import Opening, open_account
from plugins.finance.api.transactions import TransactionConnection, TransactionEdge
from plugins.finance.closing import close_account
from plugins.finance.interest_math import accrued_to_pay, plain_rate
from plugins.finance.models import AccountKind, AccountStatus, FreezeMode
from plugins.finance.permissions import ACCOUNT_OPEN, ACCOUNT_READ

strawberry.enum(AccountKind)
strawberry.enum(AccountStatus)
strawberry.enum(FreezeMode)


def reads_accounts(info: Info) -> bool:
    return info.context.user.can(ACCOUNT_READ)


@strawberry.type(description="A freeze (冻结) on an account.")
class AccountFreeze(relay.Node):
    id: relay.NodeID[int]
    mode: FreezeMode
    reason: str
    created_at: datetime
    released_at: datetime | None
    release_reason: str | None

    is_type_of = model_type_check(models.Freeze)

    @strawberry.field(description="PARTIAL only.")
    async def amount(self, root: strawberry.Parent[models.Freeze], info: Info) -> Money | None:
        if root.amount is None:
            return None
        account = await info.context.loader(loaders.accounts_by_id).load(root.account_id)
        return Money(amount=root.amount, currency=account.currency)  # type: ignore[union-attr]

    @strawberry.field
    def active(self, root: strawberry.Parent[models.Freeze]) -> bool:
        return root.active

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Freeze | None]:
        if not reads_accounts(info):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.freezes_by_id).load_many(int_ids(node_ids))


@strawberry.type(description="A customer's deposit account.")
class Account(relay.Node):
    id: relay.NodeID[int]
    account_no: str
    kind: AccountKind
    status: AccountStatus
    currency: str
    term_months: int | None = strawberry.field(description="Fixed deposits only.")
    maturity_date: date | None = strawberry.field(description="Fixed deposits only.")
    opened_at: datetime
    opened_on: date = strawberry.field(description="The business date it was opened on.")
    closed_at: datetime | None

    is_type_of = model_type_check(models.Account)

    @strawberry.field(description="Ledger balance.")
    def balance(self, root: strawberry.Parent[models.Account]) -> Money:
        return Money(amount=root.balance, currency=root.currency)

    @strawberry.field(description="Balance less every hold and freeze.")
    def available_balance(self, root: strawberry.Parent[models.Account]) -> Money:
        return Money(amount=root.available_balance, currency=root.currency)

    @strawberry.field(description="Annual, in percent.")
    def annual_interest_rate(self, root: strawberry.Parent[models.Account]) -> Decimal:
        return plain_rate(root.annual_rate)

    @strawberry.field(
        description="Interest accrued by the end-of-day batch and not yet paid into the "
        "balance, rounded half-up to the fen as it would be paid."
    )
    def accrued_interest(self, root: strawberry.Parent[models.Account]) -> Money:
        return Money(amount=accrued_to_pay(root.accrual), currency=root.currency)

    @strawberry.field
    async def customer(self, root: strawberry.Parent[models.Account], info: Info) -> Customer:
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)

    @strawberry.field(description="Active freezes first, then released ones, newest first.")
    async def freezes(
        self, root: strawberry.Parent[models.Account], info: Info
    ) -> list[AccountFreeze]:
        return await info.context.loader(loaders.freezes_by_account).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Newest first.")
    async def transactions(
        self,
        root: strawberry.Parent[models.Account],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        value_from: date | None = None,
        value_to: date | None = None,
        kind: list[str] | None = None,
    ) -> TransactionConnection:
        context: Context = info.context
        size = page_size(first, context.runtime.settings.max_page_size)
        page = await context.loader(loaders.history_pages).load(
            loaders.HistoryPage(
                root.id,  # type: ignore[arg-type]
                size,
                after,
                value_from,
                value_to,
                tuple(sorted(kind or ())),
            )
        )
        return TransactionConnection(edges=page.edges(TransactionEdge), page_info=page.page_info)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Account | None]:
        if not reads_accounts(info):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.accounts_by_id).load_many(int_ids(node_ids))


async def total_assets(context: Context, customer_ids: list[int]) -> list[Decimal]:
    assets = await assets_of(context.session, context.runtime.plugins, customer_ids)
    return [assets[customer_id] for customer_id in customer_ids]


@extends("Customer")
@strawberry.type
class CustomerAccounts:
    @strawberry.field(description="Open accounts, oldest first; closed ones too if asked.")
    async def accounts(
        self, root: strawberry.Parent[object], info: Info, include_closed: bool = False
    ) -> list[Account]:
        if not reads_accounts(info):
            return []
        batch = (
            loaders.all_accounts_by_customer
            if include_closed
            else loaders.open_accounts_by_customer
        )
        return await info.context.loader(batch).load(root.id)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Assets under management in CNY: deposits and whatever other plugins hold."
    )
    async def total_assets(self, root: strawberry.Parent[object], info: Info) -> Money:
        amount = await info.context.loader(total_assets).load(root.id)  # type: ignore[attr-defined]
        return Money(amount=amount, currency="CNY")


@strawberry.type
class AccountQuery:
    @query(permission=ACCOUNT_READ)
    async def account(self, info: Info, id: relay.GlobalID) -> Account | None:
        """An account by id; null when missing or out of your scope."""
        if id.type_name != "Account":
            return None
        return await Account.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]


@strawberry.input
class OpenAccountInput:
    customer_id: relay.GlobalID
    kind: AccountKind
    currency: str | None = strawberry.field(default=None, description="Default CNY.")
    product_code: str | None = strawberry.field(
        default=None, description="Default: the bank's standard product for that kind."
    )
    term_months: int | None = strawberry.field(default=None, description="FIXED only.")
    principal: Decimal | None = strawberry.field(
        default=None, description="FIXED only: the lump sum, taken from fundingAccountId."
    )
    funding_account_id: relay.GlobalID | None = strawberry.field(
        default=None, description="FIXED only: the customer's own DEMAND account that funds it."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Required for FIXED (it moves money); the same key and input open once.",
    )


@strawberry.type
class AccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CloseAccountInput:
    account_id: relay.GlobalID
    settlement_account_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Where what is left, accrued interest included, is paid; required unless "
        "the balance is zero (a fixed deposit defaults to its funding account).",
    )


@strawberry.type
class AccountMutation:
    @mutation(permission=ACCOUNT_OPEN)
    async def open_account(self, info: Info, input: OpenAccountInput) -> AccountPayload:
        """Open a demand account, or a fixed deposit funded from the customer's demand account."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        account = await open_account(
            context.session,
            context.runtime.settings,
            context.user,
            customer,
            Opening(
                kind=input.kind,
                currency=input.currency,
                product_code=input.product_code,
                term_months=input.term_months,
                principal=input.principal,
                funding_account_id=node_id(input.funding_account_id, "Account")
                if input.funding_account_id is not None
                else None,
                idempotency_key=input.idempotency_key,
            ),
        )
        return AccountPayload(account=account)  # type: ignore[arg-type]

    @mutation(permission=ACCOUNT_OPEN)
    async def close_account(self, info: Info, input: CloseAccountInput) -> AccountPayload:
        """Close an account: its interest is paid, what is left moves to the settlement account."""
        context: Context = info.context
        account = await close_account(
            context.session,
            context.runtime.settings,
            context.user,
            node_id(input.account_id, "Account"),
            node_id(input.settlement_account_id, "Account")
            if input.settlement_account_id is not None
            else None,
        )
        return AccountPayload(account=account)  # type: ignore[arg-type]
