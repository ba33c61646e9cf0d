"""What the finance plugin tells the marketing plugin: the products customers
hold and how their balances moved, as SQL (see ``plugins.marketing.hookspecs``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Select, String, func, literal, select, type_coerce
from sqlalchemy import cast as sql_cast

from plugins.finance.holdings import ASSETS_CURRENCY
from plugins.finance.loans.models import Loan, LoanProduct, LoanStatus
from plugins.finance.models import Account, AccountStatus, Posting, Product

LIVE_LOANS = (LoanStatus.ACTIVE,)


def holdings() -> Select:  # type: ignore[type-arg]
    """Open CNY deposit accounts (DEPOSIT) and live loans (LOAN), one row each."""
    last_moved = (
        select(func.max(Posting.value_date))
        .where(Posting.account_id == Account.id)
        .scalar_subquery()
    )
    deposits = (
        select(
            Account.customer_id.label("customer_id"),  # type: ignore[union-attr]
            Product.code.label("product_code"),
            literal("DEPOSIT", String).label("category"),
            type_coerce(Account.balance, BigInteger).label("amount"),
            Account.maturity_date.label("matures_on"),
            last_moved.label("last_moved_on"),
        )
        .join(Product, Product.id == Account.product_id)
        .where(
            Account.customer_id.is_not(None),  # type: ignore[union-attr]
            Account.currency == ASSETS_CURRENCY,
            Account.status != AccountStatus.CLOSED,
        )
    )
    loans = (
        select(
            Loan.customer_id.label("customer_id"),
            LoanProduct.code.label("product_code"),
            literal("LOAN", String).label("category"),
            type_coerce(Loan.outstanding_principal, BigInteger).label("amount"),
            sql_cast(literal(None), Date).label("matures_on"),
            sql_cast(literal(None), Date).label("last_moved_on"),
        )
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .where(Loan.status.in_(LIVE_LOANS), Loan.currency == ASSETS_CURRENCY)  # type: ignore[attr-defined]
    )
    return deposits.union_all(loans)  # type: ignore[return-value]


def balance_changes(since: date) -> Select:  # type: ignore[type-arg]
    """The sum of each customer's CNY deposit postings valued on or after ``since``."""
    return (
        select(
            Account.customer_id.label("customer_id"),  # type: ignore[union-attr]
            type_coerce(func.sum(type_coerce(Posting.amount, BigInteger)), BigInteger).label(
                "change"
            ),
        )
        .join(Account, Account.id == Posting.account_id)
        .where(
            Account.customer_id.is_not(None),  # type: ignore[union-attr]
            Posting.currency == ASSETS_CURRENCY,
            Posting.value_date >= since,
        )
        .group_by(Account.customer_id)
    )
