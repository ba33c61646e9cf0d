"""Batch loads for loans, within the viewer's scope (a loan is reachable when
its customer is)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from core.business_day import open_business_date
from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.finance.loans import models


async def loans_by_id(context: Context, ids: Sequence[int | None]) -> list[models.Loan | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(models.Loan)
        .join(Customer, Customer.id == models.Loan.customer_id)
        .where(models.Loan.id.in_(wanted), in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda loan: loan.id)  # type: ignore[arg-type, return-value]


async def loans_by_customer(context: Context, ids: Sequence[int]) -> list[list[models.Loan]]:
    rows = await context.session.scalars(
        select(models.Loan)
        .where(models.Loan.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(models.Loan.id.desc())  # type: ignore[union-attr]
    )
    return all_per_key(ids, rows, lambda loan: loan.customer_id)


async def installments_by_loan(
    context: Context, ids: Sequence[int]
) -> list[list[models.Installment]]:
    rows = await context.session.scalars(
        select(models.Installment)
        .where(models.Installment.loan_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(models.Installment.number)
    )
    return all_per_key(ids, rows, lambda installment: installment.loan_id)


async def business_date(context: Context, keys: Sequence[None]) -> list[date]:
    today = await open_business_date(context.session, context.runtime.settings)
    return [today for _ in keys]
