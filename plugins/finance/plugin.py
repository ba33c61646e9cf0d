"""The finance plugin: accounts, the double-entry ledger, deposits, withdrawals,
transfers, freezes, interest, loans, reconciliation, reports and the
end-of-day batch's money steps."""

from __future__ import annotations

from pathlib import Path

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from core.hookspecs import hookimpl
from plugins.finance import cli, demo, holdings, marketing, permissions
from plugins.finance.api.accounts import (
    Account,
    AccountFreeze,
    AccountMutation,
    AccountQuery,
    CustomerAccounts,
)
from plugins.finance.api.freezes import FreezeMutation
from plugins.finance.api.loans import CustomerLoans, Loan, LoanMutation, LoanQuery
from plugins.finance.api.money import MoneyMutation, Transfer
from plugins.finance.api.products import ProductMutation, ProductQuery
from plugins.finance.api.reconciliation import (
    ReconciliationException,
    ReconciliationMutation,
    ReconciliationQuery,
)
from plugins.finance.api.reports import ReportQuery
from plugins.finance.api.statements import AccountStatements
from plugins.finance.api.transactions import Transaction
from plugins.finance.end_of_day import STEPS
from plugins.finance.loans.products import seed_standard_loan_products
from plugins.finance.products import seed_standard_products
from plugins.finance.timeline_events import finance_events

name = "finance"
requires = ("security", "customer")

QUERY_PARTS: tuple[type, ...] = (
    AccountQuery,
    ProductQuery,
    LoanQuery,
    ReconciliationQuery,
    ReportQuery,
)
MUTATION_PARTS: tuple[type, ...] = (
    AccountMutation,
    MoneyMutation,
    FreezeMutation,
    ProductMutation,
    LoanMutation,
    ReconciliationMutation,
)
TYPE_EXTENSIONS: tuple[type, ...] = (CustomerAccounts, AccountStatements, CustomerLoans)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).with_name("migrations") / "versions"


@hookimpl
def crm_query() -> type:
    return strawberry.type(type("FinancePluginQuery", QUERY_PARTS, {}))


@hookimpl
def crm_mutation() -> type:
    return strawberry.type(type("FinancePluginMutation", MUTATION_PARTS, {}))


@hookimpl
def crm_type_extensions() -> tuple[type, ...]:
    return TYPE_EXTENSIONS


@hookimpl
def crm_types() -> list[type]:
    return [Account, AccountFreeze, Transaction, Transfer, Loan, ReconciliationException]


@hookimpl
def crm_permissions():  # type: ignore[no-untyped-def]
    return permissions.PERMISSIONS


@hookimpl
def crm_role_grants():  # type: ignore[no-untyped-def]
    return permissions.GRANTS


async def seed_reference_data(session: AsyncSession) -> None:
    await seed_standard_products(session)
    await seed_standard_loan_products(session)


@hookimpl
def crm_reference_data():  # type: ignore[no-untyped-def]
    return seed_reference_data


@hookimpl
def crm_end_of_day_steps():  # type: ignore[no-untyped-def]
    return STEPS


@hookimpl
def crm_customer_assets():  # type: ignore[no-untyped-def]
    return holdings.deposits_held()


@hookimpl(optionalhook=True)  # marketing's; finance runs without it
def crm_marketing_holdings():  # type: ignore[no-untyped-def]
    return marketing.holdings()


@hookimpl(optionalhook=True)
def crm_marketing_balance_changes(since):  # type: ignore[no-untyped-def]
    return marketing.balance_changes(since)


@hookimpl
def crm_customer_timeline(session, query):  # type: ignore[no-untyped-def]
    return finance_events(session, query)


@hookimpl
def crm_customer_merge(session, survivor_id, duplicate_id):  # type: ignore[no-untyped-def]
    return holdings.move_accounts(session, survivor_id, duplicate_id)


@hookimpl
def crm_demo_data():  # type: ignore[no-untyped-def]
    return demo.seed


@hookimpl
def crm_cli(app, settings):  # type: ignore[no-untyped-def]
    app.add_typer(cli.ledger, name="ledger")
    app.command("reconcile")(cli.reconcile)
    app.command("report")(cli.report)
