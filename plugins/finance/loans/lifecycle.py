"""A loan's life: application, the four-eyes decision, disbursement.

Whoever applied may never decide; a branch manager approves up to
``CRM_LOAN_BRANCH_APPROVAL_LIMIT``, head office (ADMIN) any amount. Each
decision keeps who, when and why. Disbursement pays the principal into the
customer's demand account against the bank's loans-receivable account, once
per idempotency key, and fixes the schedule from that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.business_day import hold_business_date
from core.check_digits import luhn_digit
from core.columns import utcnow
from core.errors import BusinessError
from core.money import checked_amount
from core.sequences import next_number
from core.settings import Settings
from core.validation import clean_text
from plugins.customer.models import Customer, CustomerStatus
from plugins.customer.scope import in_scope
from plugins.finance import idempotency
from plugins.finance.ledger import Line, post_entry
from plugins.finance.loans.models import COMMENT_MAX, Installment, Loan, LoanStatus
from plugins.finance.loans.products import find_loan_product
from plugins.finance.loans.schedule import RepaymentMethod, repayment_schedule
from plugins.finance.locks import lock_customer_accounts, lock_internal_account
from plugins.finance.models import RATE_SCALE, AccountKind, AccountStatus, InternalAccount
from plugins.finance.movements import check_credit
from plugins.finance.settings import finance_settings

LOAN_SEQUENCE = "finance.loan"
LOAN_DISBURSEMENT = "LOAN_DISBURSEMENT"


@dataclass(frozen=True)
class Application:
    """What ``applyForLoan`` asks for."""

    principal: Decimal
    term_months: int
    method: RepaymentMethod
    account_id: int | None
    product_code: str | None = None


def _field(name: str) -> list[str]:
    return ["input", name]


def format_loan_no(serial: int) -> str:
    """``L`` + nine digits + a Luhn check digit (L0000000018)."""
    digits = f"{serial:09d}"
    return f"L{digits}{luhn_digit(digits)}"


async def apply_for_loan(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    customer: Customer,
    application: Application,
) -> Loan:
    """Record an application for ``customer`` (loaded within the principal's scope)."""
    if customer.status is not CustomerStatus.ACTIVE:
        raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", _field("customerId"))
    product = await find_loan_product(session, application.product_code, customer.kind)
    amount = checked_amount(application.principal, _field("principal"))
    if not product.min_amount <= amount <= product.max_amount:
        raise BusinessError(
            "AMOUNT_OUT_OF_RANGE",
            f"{product.name} lends from {product.min_amount} to {product.max_amount} "
            f"{product.currency}.",
            _field("principal"),
        )
    if not product.min_term_months <= application.term_months <= product.max_term_months:
        raise BusinessError(
            "INVALID_TERM",
            f"{product.name} runs from {product.min_term_months} to "
            f"{product.max_term_months} months.",
            _field("termMonths"),
        )
    account = (await lock_customer_accounts(session, principal, [application.account_id])).get(
        application.account_id  # type: ignore[arg-type]
    )
    if account is None or account.customer_id != customer.id:
        raise BusinessError(
            "ACCOUNT_NOT_FOUND",
            "The loan is paid into one of the customer's own accounts.",
            _field("accountId"),
        )
    if (
        account.kind is not AccountKind.DEMAND
        or account.currency != product.currency
        or account.status is AccountStatus.CLOSED
    ):
        raise BusinessError(
            "INVALID_LOAN_ACCOUNT",
            f"A loan is paid into an open demand account in {product.currency}.",
            _field("accountId"),
        )
    penalty_rate = (product.annual_rate * finance_settings().loan_penalty_factor).quantize(
        Decimal(1).scaleb(-RATE_SCALE), rounding=ROUND_HALF_UP
    )
    loan = Loan(
        loan_no=format_loan_no(await next_number(session, LOAN_SEQUENCE)),
        customer_id=customer.id,  # type: ignore[arg-type]
        account_id=account.id,  # type: ignore[arg-type]
        product_id=product.id,  # type: ignore[arg-type]
        principal=amount,
        currency=product.currency,
        annual_rate=product.annual_rate,
        penalty_rate=penalty_rate,
        term_months=application.term_months,
        method=application.method,
        outstanding_principal=amount,
        applied_by=principal.user_id,
        applied_on=await hold_business_date(session, settings),
    )
    session.add(loan)
    await session.flush()
    return loan


async def lock_loan(session: AsyncSession, principal: Principal, loan_id: int | None) -> Loan:
    """The loan, locked, if its customer is in the principal's scope."""
    loan = await session.scalar(
        select(Loan)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.id == loan_id, in_scope(principal))
        .with_for_update(of=Loan)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )
    if loan is None:
        raise BusinessError("LOAN_NOT_FOUND", "There is no such loan.", _field("loanId"))
    return loan


async def decide_loan(
    session: AsyncSession,
    principal: Principal,
    loan_id: int | None,
    approve: bool,
    comment: str | None,
) -> Loan:
    """Approve or reject an application of someone else's."""
    loan = await lock_loan(session, principal, loan_id)
    if loan.status is not LoanStatus.PENDING_APPROVAL:
        raise BusinessError(
            "LOAN_NOT_PENDING", "The loan is not waiting for a decision.", _field("loanId")
        )
    if loan.applied_by == principal.user_id:
        raise BusinessError(
            "FOUR_EYES",
            "Whoever applied for a loan may not decide it; another person must.",
            _field("loanId"),
        )
    limit = finance_settings().loan_branch_approval_limit
    if approve and Role.ADMIN not in principal.roles and loan.principal > limit:
        raise BusinessError(
            "ABOVE_APPROVAL_LIMIT",
            f"Loans above {limit:,} {loan.currency} are approved by head office.",
            _field("approve"),
        )
    loan.status = LoanStatus.APPROVED if approve else LoanStatus.REJECTED
    loan.decided_by = principal.user_id
    loan.decided_at = utcnow()
    loan.decision_comment = (
        clean_text(comment, field=_field("comment"), max_length=COMMENT_MAX, required=False)
        if comment is not None
        else None
    ) or None
    session.add(loan)
    await session.flush()
    return loan


async def disburse_loan(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    loan_id: int | None,
    idempotency_key: str,
) -> Loan:
    """Pay an approved loan into its account and fix its schedule from today."""
    today = await hold_business_date(session, settings)
    claimed = await idempotency.claim(
        session,
        idempotency_key,
        idempotency.fingerprint("DISBURSE_LOAN", principal.user_id, loan=loan_id),
    )
    loan = await lock_loan(session, principal, loan_id)
    if claimed.replayed:
        return loan
    if loan.status is not LoanStatus.APPROVED:
        raise BusinessError(
            "LOAN_NOT_APPROVED", "Only an approved loan can be paid out.", _field("loanId")
        )
    account = (await lock_customer_accounts(session, None, [loan.account_id]))[loan.account_id]
    check_credit(account, "loanId")
    receivable = await lock_internal_account(
        session, InternalAccount.LOANS_RECEIVABLE, loan.currency
    )
    entry = await post_entry(
        session,
        kind=LOAN_DISBURSEMENT,
        lines=[
            Line(account, loan.principal, LOAN_DISBURSEMENT),
            Line(receivable, -loan.principal, LOAN_DISBURSEMENT),
        ],
        value_date=today,
        memo=f"Loan {loan.loan_no}",
        by=principal.user_id,
    )
    session.add_all(
        Installment(
            loan_id=loan.id,  # type: ignore[arg-type]
            number=planned.number,
            due_date=planned.due_date,
            principal=planned.principal,
            interest=planned.interest,
        )
        for planned in repayment_schedule(
            loan.principal, loan.annual_rate, loan.term_months, loan.method, today
        )
    )
    loan.status = LoanStatus.ACTIVE
    loan.disbursed_on = today
    session.add(loan)
    await idempotency.record(session, claimed, entry_id=entry.id)
    await session.flush()
    return loan
