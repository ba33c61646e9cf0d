"""Anomalies in a day's movements on customer accounts, flagged for a person
to look at (the rules follow the large-value and suspicious transaction
reporting rules, 大额和可疑交易报告):

- LARGE_CASH: one cash deposit or withdrawal of the threshold (50,000 CNY) or more;
- STRUCTURING: several cash movements by one customer, each just under it;
- PASS_THROUGH: an account that pays out nearly all of what came in the same
  day, when what came in reaches the threshold.

Each rule is one GROUP BY over the day's postings. The thresholds are in CNY,
so the rules look at CNY accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import MinorUnits
from plugins.finance.models import Account, Posting
from plugins.finance.movements import DEPOSIT, WITHDRAWAL
from plugins.finance.reconciliation.exceptions import Found, record, subject
from plugins.finance.reconciliation.models import ExceptionKind
from plugins.finance.settings import FinanceSettings, finance_settings

CURRENCY = "CNY"
CASH = (DEPOSIT, WITHDRAWAL)


@dataclass(frozen=True)
class Rules:
    threshold: Decimal
    just_under: Decimal
    movements: int
    pass_through_share: Decimal

    @classmethod
    def of(cls, settings: FinanceSettings) -> Rules:
        threshold = settings.large_cash_threshold
        return cls(
            threshold=threshold,
            just_under=(threshold * (1 - settings.structuring_margin)).quantize(Decimal("0.01")),
            movements=settings.structuring_movements,
            pass_through_share=settings.pass_through_share,
        )


def _days_customer_postings(day: date) -> Any:
    return (
        select()
        .select_from(Posting)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Posting.value_date == day,
            Posting.currency == CURRENCY,
            Account.customer_id.is_not(None),  # type: ignore[union-attr]
        )
    )


async def flag_anomalies(
    session: AsyncSession, day: date, rules: Rules | None = None
) -> list[Found]:
    rules = rules or Rules.of(finance_settings())
    cash = _days_customer_postings(day).where(Posting.kind.in_(CASH))  # type: ignore[attr-defined]
    large = cash.add_columns(
        subject("posting:", Posting.id),
        Posting.id.label("posting_id"),  # type: ignore[union-attr]
        Posting.entry_id,
        Posting.account_id,
        Account.customer_id,
        Posting.currency,
        Posting.amount,
    ).where(or_(Posting.amount >= rules.threshold, Posting.amount <= -rules.threshold))

    size = case((Posting.amount < 0, -Posting.amount), else_=Posting.amount)
    just_under = or_(
        and_(Posting.amount >= rules.just_under, Posting.amount < rules.threshold),
        and_(Posting.amount <= -rules.just_under, Posting.amount > -rules.threshold),
    )
    structuring = (
        cash.add_columns(
            subject(f"{day.isoformat()}:customer:", Account.customer_id),
            Account.customer_id,
            func.max(Posting.currency).label("currency"),
            func.sum(size).label("amount"),
            func.count().label("movements"),
        )
        .where(just_under)
        .group_by(Account.customer_id)
        .having(func.count() >= rules.movements)
    )

    money_in = type_coerce(
        func.sum(case((Posting.amount > 0, Posting.amount), else_=0)), MinorUnits()
    )
    money_out = func.sum(case((Posting.amount < 0, -Posting.amount), else_=0))
    share, whole = rules.pass_through_share.as_integer_ratio()
    pass_through = (
        _days_customer_postings(day)
        .add_columns(
            subject(f"{day.isoformat()}:account:", Posting.account_id),
            Posting.account_id,
            func.max(Account.customer_id).label("customer_id"),
            func.max(Posting.currency).label("currency"),
            money_in.label("amount"),
            money_out.label("other_amount"),
            func.count().label("movements"),
        )
        .group_by(Posting.account_id)
        .having(money_in >= rules.threshold, money_out * whole >= money_in * share)
    )
    return [
        await record(session, ExceptionKind.LARGE_CASH, day, large),
        await record(session, ExceptionKind.STRUCTURING, day, structuring),
        await record(session, ExceptionKind.PASS_THROUGH, day, pass_through),
    ]
