"""``Account.statement``: a period's statement (对账单), also as CSV."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from core.graphql import extends
from core.money import Money
from plugins.finance import models
from plugins.finance.api.transactions import Transaction
from plugins.finance.statements import Statement, statement_of


@strawberry.type(description="An account statement (对账单) for a period of value dates.")
class AccountStatement:
    period_from: date
    period_to: date

    @strawberry.field
    def opening_balance(self, root: strawberry.Parent[Statement]) -> Money:
        return Money(amount=root.opening_balance, currency=root.account.currency)

    @strawberry.field
    def closing_balance(self, root: strawberry.Parent[Statement]) -> Money:
        return Money(amount=root.closing_balance, currency=root.account.currency)

    @strawberry.field
    def total_credits(self, root: strawberry.Parent[Statement]) -> Money:
        return Money(amount=root.total_credits, currency=root.account.currency)

    @strawberry.field
    def total_debits(self, root: strawberry.Parent[Statement]) -> Money:
        return Money(amount=root.total_debits, currency=root.account.currency)

    @strawberry.field(description="Oldest first.")
    def transactions(self, root: strawberry.Parent[Statement]) -> list[Transaction]:
        return [line.posting for line in root.lines]  # type: ignore[misc]

    @strawberry.field(description="The statement as CSV text, for download or print.")
    def csv(self, root: strawberry.Parent[Statement]) -> str:
        return root.as_csv()


@extends("Account")
@strawberry.type
class AccountStatements:
    @strawberry.field(description="The statement for value dates from `from` to `to`, inclusive.")
    async def statement(
        self,
        root: strawberry.Parent[models.Account],
        info: Info,
        period_from: date,
        period_to: date,
    ) -> AccountStatement:
        return await statement_of(info.context.session, root, period_from, period_to)  # type: ignore[return-value]
