"""Loans in GraphQL: ``Loan`` and its schedule, the customer's loans, and the
application, decision, disbursement and repayment mutations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.finance import loaders
from plugins.finance.api.accounts import Account, reads_accounts
from plugins.finance.interest_math import accrued_to_pay, plain_rate
from plugins.finance.loans import lifecycle, models, repayment
from plugins.finance.loans import loaders as loan_loaders
from plugins.finance.loans.models import LoanStatus
from plugins.finance.loans.schedule import PlannedInstallment, RepaymentMethod, repayment_schedule
from plugins.finance.permissions import (
    ACCOUNT_READ,
    LOAN_APPLY,
    LOAN_DECIDE,
    LOAN_DISBURSE,
    LOAN_REPAY,
)

strawberry.enum(RepaymentMethod)
strawberry.enum(LoanStatus)


@strawberry.type(description="One month of a loan's repayment schedule.")
class Installment:
    number: int
    due_date: date
    principal: Money
    interest: Money
    total: Money
    paid: bool
    paid_amount: Money = strawberry.field(description="What has been paid of it so far.")
    days_past_due: int = strawberry.field(description="0 unless it is unpaid past its due date.")


def _installments(
    loan: models.Loan, rows: list[models.Installment], today: date
) -> list[Installment]:
    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=loan.currency)

    if not rows:  # not paid out yet: the schedule as it would be from today
        planned: list[PlannedInstallment] = repayment_schedule(
            loan.principal, loan.annual_rate, loan.term_months, loan.method, today
        )
        return [
            Installment(
                number=p.number,
                due_date=p.due_date,
                principal=money(p.principal),
                interest=money(p.interest),
                total=money(p.total),
                paid=False,
                paid_amount=money(Decimal("0.00")),
                days_past_due=0,
            )
            for p in planned
        ]
    return [
        Installment(
            number=row.number,
            due_date=row.due_date,
            principal=money(row.principal),
            interest=money(row.interest),
            total=money(row.principal + row.interest),
            paid=row.paid_on is not None,
            paid_amount=money(row.paid_principal + row.paid_interest),
            days_past_due=(today - row.due_date).days
            if row.paid_on is None and row.due_date < today
            else 0,
        )
        for row in rows
    ]


async def _schedule(loan: models.Loan, info: Info) -> list[Installment]:
    rows = await info.context.loader(loan_loaders.installments_by_loan).load(loan.id)
    today = await info.context.loader(loan_loaders.business_date).load(None)
    return _installments(loan, rows, today)


def _overdue(loan: models.Loan, schedule: list[Installment]) -> Decimal:
    late = sum(
        (i.total.amount - i.paid_amount.amount for i in schedule if i.days_past_due),
        Decimal("0.00"),
    )
    return late + accrued_to_pay(loan.penalty_accrual)


async def _arrears(customer_id: int, info: Info) -> list[tuple[int, Decimal]]:
    """(days past due, overdue amount) of each of the customer's active CNY loans."""
    if not reads_accounts(info):
        return []
    loans = [
        loan
        for loan in await info.context.loader(loan_loaders.loans_by_customer).load(customer_id)
        if loan.status is LoanStatus.ACTIVE and loan.currency == "CNY"
    ]
    schedules = await asyncio.gather(*(_schedule(loan, info) for loan in loans))
    return [
        (max((i.days_past_due for i in schedule), default=0), _overdue(loan, schedule))
        for loan, schedule in zip(loans, schedules, strict=True)
    ]


@strawberry.type(description="A loan, from application to paid off.")
class Loan(relay.Node):
    id: relay.NodeID[int]
    loan_no: str
    status: LoanStatus
    term_months: int
    applied_at: datetime
    decided_at: datetime | None
    decision_comment: str | None
    disbursed_on: date | None
    paid_off_on: date | None

    is_type_of = model_type_check(models.Loan)

    @strawberry.field
    def principal(self, root: strawberry.Parent[models.Loan]) -> Money:
        return Money(amount=root.principal, currency=root.currency)

    @strawberry.field(description="Annual, in percent.")
    def annual_interest_rate(self, root: strawberry.Parent[models.Loan]) -> Decimal:
        return plain_rate(root.annual_rate)

    @strawberry.field(description="Annual, in percent, on overdue principal.")
    def penalty_interest_rate(self, root: strawberry.Parent[models.Loan]) -> Decimal:
        return plain_rate(root.penalty_rate)

    @strawberry.field
    def repayment_method(self, root: strawberry.Parent[models.Loan]) -> RepaymentMethod:
        return root.method

    @strawberry.field
    def outstanding_principal(self, root: strawberry.Parent[models.Loan]) -> Money:
        return Money(amount=root.outstanding_principal, currency=root.currency)

    @strawberry.field(description="Penalty interest accrued on overdue principal, unpaid.")
    def penalty_interest(self, root: strawberry.Parent[models.Loan]) -> Money:
        return Money(amount=accrued_to_pay(root.penalty_accrual), currency=root.currency)

    @strawberry.field
    async def customer(self, root: strawberry.Parent[models.Loan], info: Info) -> Customer:
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)

    @strawberry.field(description="The demand account it is paid into and repaid from.")
    async def account(self, root: strawberry.Parent[models.Loan], info: Info) -> Account:
        return await info.context.loader(loaders.accounts_by_id).load(root.account_id)

    @strawberry.field(
        description="Every installment; before the loan is paid out, as it would be from today."
    )
    async def schedule(self, root: strawberry.Parent[models.Loan], info: Info) -> list[Installment]:
        return await _schedule(root, info)

    @strawberry.field(description="Days since the oldest unpaid installment fell due.")
    async def days_past_due(self, root: strawberry.Parent[models.Loan], info: Info) -> int:
        schedule = await _schedule(root, info)
        return max((i.days_past_due for i in schedule), default=0)

    @strawberry.field(description="Unpaid installments past their due date, and the penalty.")
    async def overdue_amount(self, root: strawberry.Parent[models.Loan], info: Info) -> Money:
        overdue = _overdue(root, await _schedule(root, info))
        return Money(amount=overdue, currency=root.currency)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Loan | None]:
        if not reads_accounts(info):
            return [None for _ in node_ids]
        return await info.context.loader(loan_loaders.loans_by_id).load_many(int_ids(node_ids))


@extends("Customer")
@strawberry.type
class CustomerLoans:
    @strawberry.field(description="Every loan and application, newest first.")
    async def loans(self, root: strawberry.Parent[object], info: Info) -> list[Loan]:
        if not reads_accounts(info):
            return []
        return await info.context.loader(loan_loaders.loans_by_customer).load(root.id)  # type: ignore[attr-defined]

    @strawberry.field(description="The most days any of the customer's loans is past due.")
    async def loan_days_past_due(self, root: strawberry.Parent[object], info: Info) -> int:
        overdue = await _arrears(root.id, info)  # type: ignore[attr-defined]
        return max((days for days, _ in overdue), default=0)

    @strawberry.field(
        description="What the customer's loans have overdue, penalty included, in CNY."
    )
    async def loan_overdue_amount(self, root: strawberry.Parent[object], info: Info) -> Money:
        overdue = await _arrears(root.id, info)  # type: ignore[attr-defined]
        return Money(amount=sum((amount for _, amount in overdue), Decimal("0.00")), currency="CNY")


@strawberry.type
class LoanQuery:
    @query(permission=ACCOUNT_READ)
    async def loan(self, info: Info, id: relay.GlobalID) -> Loan | None:
        """A loan by id; null when missing or out of your scope."""
        if id.type_name != "Loan":
            return None
        return await Loan.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]


@strawberry.input
class ApplyForLoanInput:
    customer_id: relay.GlobalID
    principal: Decimal
    term_months: int
    repayment_method: RepaymentMethod
    account_id: relay.GlobalID = strawberry.field(
        description="The customer's DEMAND account the loan is paid into and repaid from."
    )
    product_code: str | None = strawberry.field(
        default=None,
        description="Default: the bank's standard loan product for the customer's kind.",
    )


@strawberry.input
class DecideLoanInput:
    loan_id: relay.GlobalID
    approve: bool
    comment: str | None = None


@strawberry.input
class DisburseLoanInput:
    loan_id: relay.GlobalID
    idempotency_key: str


@strawberry.input
class RepayLoanInput:
    loan_id: relay.GlobalID
    amount: Decimal
    idempotency_key: str


@strawberry.type
class LoanPayload:
    loan: Loan | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _loan_id(global_id: relay.GlobalID) -> int | None:
    return node_id(global_id, "Loan")


@strawberry.type
class LoanMutation:
    @mutation(permission=LOAN_APPLY)
    async def apply_for_loan(self, info: Info, input: ApplyForLoanInput) -> LoanPayload:
        """Apply for a loan for a customer in your scope; someone else decides it."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        loan = await lifecycle.apply_for_loan(
            context.session,
            context.runtime.settings,
            context.user,
            customer,
            lifecycle.Application(
                principal=input.principal,
                term_months=input.term_months,
                method=input.repayment_method,
                account_id=node_id(input.account_id, "Account"),
                product_code=input.product_code,
            ),
        )
        return LoanPayload(loan=loan)  # type: ignore[arg-type]

    @mutation(permission=LOAN_DECIDE)
    async def decide_loan(self, info: Info, input: DecideLoanInput) -> LoanPayload:
        """Approve or reject a loan application that someone else made."""
        context: Context = info.context
        loan = await lifecycle.decide_loan(
            context.session, context.user, _loan_id(input.loan_id), input.approve, input.comment
        )
        return LoanPayload(loan=loan)  # type: ignore[arg-type]

    @mutation(permission=LOAN_DISBURSE)
    async def disburse_loan(self, info: Info, input: DisburseLoanInput) -> LoanPayload:
        """Pay an approved loan into its account; its schedule starts today."""
        context: Context = info.context
        loan = await lifecycle.disburse_loan(
            context.session,
            context.runtime.settings,
            context.user,
            _loan_id(input.loan_id),
            input.idempotency_key,
        )
        return LoanPayload(loan=loan)  # type: ignore[arg-type]

    @mutation(permission=LOAN_REPAY)
    async def repay_loan(self, info: Info, input: RepayLoanInput) -> LoanPayload:
        """Repay from the loan's account: penalty, then the oldest installment first."""
        context: Context = info.context
        loan = await repayment.repay_loan(
            context.session,
            context.runtime.settings,
            context.user,
            _loan_id(input.loan_id),
            input.amount,
            input.idempotency_key,
        )
        return LoanPayload(loan=loan)  # type: ignore[arg-type]
