"""What finance adds to customers: their timeline, their merges and their assets."""

from __future__ import annotations

from decimal import Decimal

from tests.plugins.finance.conftest import CLOSE_ACCOUNT, FREEZE, Books

TIMELINE = """
query($id: ID!) {
  customer(id: $id) { timeline(first: 20) { edges { node { kind title source } } } }
}
"""
MERGE = """
mutation($input: MergeCustomersInput!) {
  mergeCustomers(input: $input) {
    customer { id accounts { accountNo } totalAssets { amount } }
    errors { code }
  }
}
"""


async def finance_lines(books: Books, customer) -> list[tuple[str, str]]:
    caller = await books.bank.sign_in("admin")
    body = await caller.data(TIMELINE, {"id": customer["id"]})
    return [
        (edge["node"]["kind"], edge["node"]["title"])
        for edge in body["customer"]["timeline"]["edges"]
        if edge["node"]["source"] == "finance"
    ]


async def test_opening_freezing_and_closing_accounts_show_on_the_customer_s_timeline(books):
    customer = await books.customer()
    account = await books.open(customer)
    admin = await books.bank.sign_in("admin")
    await admin.data(
        FREEZE, {"input": {"accountId": account["id"], "mode": "FULL", "reason": "司法冻结"}}
    )
    other = await books.open(customer)
    await admin.data(CLOSE_ACCOUNT, {"input": {"accountId": other["id"]}})

    lines = await finance_lines(books, customer)

    assert lines == [
        ("finance.account_closed", f"Demand account {other['accountNo']} closed"),
        ("finance.account_opened", f"Demand account {other['accountNo']} opened"),
        ("finance.account_frozen", f"Account {account['accountNo']} fully frozen"),
        ("finance.account_opened", f"Demand account {account['accountNo']} opened"),
    ]


async def test_a_merge_moves_the_duplicate_s_accounts_to_the_survivor(books):
    survivor = await books.customer(name="王小明")
    duplicate = await books.customer(name="王晓明")
    kept = await books.account_with("100.00", survivor)
    moved = await books.account_with("23.45", duplicate)
    admin = await books.bank.sign_in("admin")

    body = await admin.data(
        MERGE, {"input": {"survivorId": survivor["id"], "duplicateId": duplicate["id"]}}
    )

    merged = body["mergeCustomers"]
    assert merged["errors"] == []
    assert {a["accountNo"] for a in merged["customer"]["accounts"]} == {
        kept["accountNo"],
        moved["accountNo"],
    }
    assert merged["customer"]["totalAssets"] == {"amount": "123.45"}
    assert await books.balance(moved) == Decimal("23.45")
    assert (await books.ledger()).ok


async def test_total_assets_count_open_cny_deposits_only(books):
    customer = await books.customer()
    await books.account_with("1000.00", customer)
    await books.account_with("50.00", customer, currency="USD")
    closed = await books.open(customer)
    admin = await books.bank.sign_in("admin")
    await admin.data(CLOSE_ACCOUNT, {"input": {"accountId": closed["id"]}})

    body = await admin.data(
        "query($id: ID!) { customer(id: $id) { totalAssets { amount currency } } }",
        {"id": customer["id"]},
    )

    assert body["customer"]["totalAssets"] == {"amount": "1000.00", "currency": "CNY"}
