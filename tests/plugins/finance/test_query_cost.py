"""The customer-360 shape costs a fixed number of SQL statements, whatever the
page size: accounts, their last ten transactions, freezes and assets are each
loaded for the whole page at once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.db import Mode
from plugins.customer.models import Customer
from plugins.finance import movements
from plugins.finance.accounts import Opening, open_account
from plugins.finance.models import AccountKind
from tests.plugins.finance.conftest import Books, head_office

PAGE = """
query($first: Int) {
  customers(first: $first) {
    edges { node {
      name tier totalAssets { amount }
      branch { code }
      accounts {
        accountNo balance { amount } availableBalance { amount } accruedInterest { amount }
        freezes { mode }
        transactions(first: 10) {
          edges { node { kind direction amount { amount } balanceAfter { amount } memo } }
          pageInfo { hasNextPage }
        }
      }
    } }
  }
}
"""
ACCOUNTS_EACH = 2
DEPOSITS_EACH = 12


async def bank_with(books: Books, customers: int) -> None:
    """``customers`` customers of BJ-001 with two accounts of twelve deposits each."""
    for _ in range(customers):
        await books.customer()
    runtime = books.runtime
    teller = head_office(books.bank.user_ids["admin"], "admin")
    async with runtime.database.transaction(Mode.WRITE) as session:
        for n, customer in enumerate(await session.scalars(select(Customer))):
            for a in range(ACCOUNTS_EACH):
                account = await open_account(
                    session, runtime.settings, teller, customer, Opening(kind=AccountKind.DEMAND)
                )
                for d in range(DEPOSITS_EACH):
                    await movements.deposit(
                        session,
                        runtime.settings,
                        movements.Request(teller, f"cost-{n}-{a}-{d}", f"第{d}笔"),
                        account.id,
                        Decimal(d + 1),
                    )


async def test_a_page_of_customer_360s_costs_the_same_for_3_as_for_30(books: Books, sql):
    await bank_with(books, 30)

    few, few_edges = await books.bank.page_cost(sql, PAGE, 3)
    many, many_edges = await books.bank.page_cost(sql, PAGE, 30)

    assert few == many
    assert many == 8, sql.statements  # sign-in, customers, assets, branches, accounts,
    # freezes, transactions, their memos
    assert len(few_edges) == 3
    assert len(many_edges) == 30
    for edge in many_edges:
        accounts = edge["node"]["accounts"]
        assert len(accounts) == ACCOUNTS_EACH
        assert edge["node"]["totalAssets"] == {"amount": "156.00"}  # 2 × (1 + ... + 12)
        for account in accounts:
            history = account["transactions"]
            assert [e["node"]["amount"]["amount"] for e in history["edges"]] == [
                f"{n}.00" for n in range(12, 2, -1)
            ]
            assert history["pageInfo"]["hasNextPage"] is True
            assert history["edges"][0]["node"]["memo"] == "第11笔"
