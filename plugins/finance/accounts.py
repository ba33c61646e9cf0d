"""Opening deposit accounts.

A demand account opens empty. A fixed deposit (整存整取) opens with its whole
principal, taken from the customer's own demand account in one journal entry,
at the rate its product lists for its term on that day, which it keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.business_day import hold_business_date
from core.errors import BusinessError
from core.money import checked_amount
from core.sequences import next_number
from core.settings import Settings
from plugins.customer.models import Customer, CustomerStatus
from plugins.finance import idempotency
from plugins.finance.dates import add_months
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_customer_accounts
from plugins.finance.models import Account, AccountKind
from plugins.finance.movements import check_debit
from plugins.finance.numbers import ACCOUNT_SEQUENCE, format_account_no
from plugins.finance.products import DEMAND_TERM, FIXED_TERMS, find_product, rate_of

FIXED_DEPOSIT = "FIXED_DEPOSIT"
MIN_FIXED_PRINCIPAL = Decimal("50.00")
"""The smallest 整存整取 deposit."""
CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Opening:
    """What ``openAccount`` asks for."""

    kind: AccountKind
    currency: str | None = None
    product_code: str | None = None
    term_months: int | None = None
    principal: Decimal | None = None
    funding_account_id: int | None = None
    idempotency_key: str | None = None


def _field(name: str) -> list[str]:
    return ["input", name]


def _currency(text: str | None) -> str:
    currency = (text or "CNY").strip().upper()
    if not CURRENCY.match(currency):
        raise BusinessError(
            "INVALID_CURRENCY", "A currency is a three-letter ISO code.", _field("currency")
        )
    return currency


async def open_account(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    customer: Customer,
    opening: Opening,
) -> Account:
    """Open an account for ``customer`` (loaded within the principal's scope)."""
    if customer.status is not CustomerStatus.ACTIVE:
        raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", _field("customerId"))
    product = await find_product(
        session, opening.product_code, opening.kind, _currency(opening.currency)
    )
    if opening.currency is not None and _currency(opening.currency) != product.currency:
        raise BusinessError(
            "CURRENCY_MISMATCH",
            f"Product {product.code} is in {product.currency}.",
            _field("currency"),
        )
    if opening.kind is AccountKind.FIXED:
        opening = replace(opening, principal=_checked_fixed_terms(opening, product.currency))
    else:
        for name, given in (
            ("termMonths", opening.term_months),
            ("principal", opening.principal),
            ("fundingAccountId", opening.funding_account_id),
        ):
            if given is not None:
                raise BusinessError(
                    "NOT_FOR_DEMAND", "Only a fixed deposit takes this.", _field(name)
                )
    today = await hold_business_date(session, settings)
    claimed = None
    if opening.idempotency_key is not None:
        claimed = await idempotency.claim(
            session,
            opening.idempotency_key,
            idempotency.fingerprint(
                "OPEN_ACCOUNT", principal.user_id, customer=customer.id, **opening.__dict__
            ),
        )
        if claimed.replayed:
            return await session.get_one(Account, claimed.account_id)
    account = Account(
        account_no=format_account_no(await next_number(session, ACCOUNT_SEQUENCE)),
        customer_id=customer.id,
        kind=opening.kind,
        product_id=product.id,
        currency=product.currency,
        annual_rate=await rate_of(session, product, opening.term_months or DEMAND_TERM),
        opened_on=today,
    )
    session.add(account)
    await session.flush()
    entry_id = None
    if opening.kind is AccountKind.FIXED:
        entry_id = await _fund_fixed_deposit(session, principal, customer, account, opening, today)
    if claimed is not None:
        await idempotency.record(session, claimed, entry_id=entry_id, account_id=account.id)
    return account


def _checked_fixed_terms(opening: Opening, currency: str) -> Decimal:
    """The principal, once the fixed deposit's terms are checked."""
    if opening.term_months not in FIXED_TERMS:
        raise BusinessError(
            "INVALID_TERM",
            f"A fixed deposit's term is one of {', '.join(map(str, FIXED_TERMS))} months.",
            _field("termMonths"),
        )
    if opening.principal is None:
        raise BusinessError("REQUIRED", "A fixed deposit needs a principal.", _field("principal"))
    amount = checked_amount(opening.principal, _field("principal"))
    if amount < MIN_FIXED_PRINCIPAL:
        raise BusinessError(
            "BELOW_MINIMUM",
            f"A fixed deposit is at least {MIN_FIXED_PRINCIPAL} {currency}.",
            _field("principal"),
        )
    if opening.funding_account_id is None:
        raise BusinessError(
            "REQUIRED", "A fixed deposit needs a funding account.", _field("fundingAccountId")
        )
    if opening.idempotency_key is None:
        raise BusinessError(
            "IDEMPOTENCY_KEY_REQUIRED",
            "Opening a fixed deposit moves money: give an idempotency key.",
            _field("idempotencyKey"),
        )
    return amount


async def _fund_fixed_deposit(
    session: AsyncSession,
    principal: Principal,
    customer: Customer,
    account: Account,
    opening: Opening,
    today: date,
) -> int:
    amount: Decimal = opening.principal  # type: ignore[assignment]  (checked)
    funding = (await lock_customer_accounts(session, principal, [opening.funding_account_id])).get(
        opening.funding_account_id
    )  # type: ignore[arg-type]
    if funding is None or funding.customer_id != customer.id:
        raise BusinessError(
            "ACCOUNT_NOT_FOUND",
            "The funding account must be one of the customer's own accounts.",
            _field("fundingAccountId"),
        )
    if funding.kind is not AccountKind.DEMAND or funding.currency != account.currency:
        raise BusinessError(
            "INVALID_FUNDING_ACCOUNT",
            f"A fixed deposit is funded from a demand account in {account.currency}.",
            _field("fundingAccountId"),
        )
    check_debit(funding, amount, "fundingAccountId", amount_field="principal")
    account.term_months = opening.term_months
    account.principal = amount
    account.maturity_date = add_months(today, opening.term_months)  # type: ignore[arg-type]
    account.funding_account_id = funding.id
    session.add(account)
    entry = await post_entry(
        session,
        kind=FIXED_DEPOSIT,
        lines=[Line(funding, -amount, FIXED_DEPOSIT), Line(account, amount, FIXED_DEPOSIT)],
        value_date=today,
        by=principal.user_id,
    )
    return entry.id  # type: ignore[return-value]
