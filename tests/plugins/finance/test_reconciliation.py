"""Reconciliation: every break planted in the books, every difference from the
clearing statement and every anomaly pattern is found, recorded once, and
worked by the people allowed to see it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from core.db import Mode
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_internal_account
from plugins.finance.models import Account, InternalAccount, Posting
from plugins.finance.reconciliation.models import ClearingStatementLine, ReconciliationException
from plugins.finance.references import posting_reference
from tests.plugins.customer.conftest import SH
from tests.plugins.finance.conftest import Books, codes, crm, global_id_of

DAY = date(2026, 3, 2)
NEXT = date(2026, 3, 3)

EXCEPTIONS = """
query($filter: ReconciliationExceptionFilter) {
  reconciliationExceptions(first: 100, filter: $filter) {
    totalCount
    edges { node {
      id kind status foundOn lastSeenOn description reference counterparty movements
      amount { amount currency } otherAmount { amount }
      account { accountNo } customer { customerNo }
      assignee { username }
      notes { text status writtenBy { username } assignee { username } }
    } }
  }
}
"""
RUN = """
mutation($input: RunReconciliationInput!) {
  runReconciliation(input: $input) { findings { kind total new } errors { code } }
}
"""
IMPORT = """
mutation($input: ImportClearingStatementInput!) {
  importClearingStatement(input: $input) {
    statement {
      businessDate fileName lines matched missingOnOurSide missingOnTheirSide amountMismatches
    }
    badLines { line message }
    errors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdateReconciliationExceptionInput!) {
  updateReconciliationException(input: $input) {
    exception { id status resolvedAt assignee { username } notes { text status } }
    errors { field code }
  }
}
"""


async def exceptions(books: Books, by: str = "admin", **filter: Any) -> list[dict[str, Any]]:
    caller = await books.bank.sign_in(by)
    body = await caller.data(EXCEPTIONS, {"filter": filter or None})
    return [edge["node"] for edge in body["reconciliationExceptions"]["edges"]]


def kinds(found: list[dict[str, Any]]) -> list[str]:
    return sorted(e["kind"] for e in found)


async def write(books: Books, *statements: Any) -> None:
    """Change the books behind the API's back, as a fault or a fraud would."""
    async with books.runtime.database.transaction(Mode.WRITE) as session:
        for statement in statements:
            await session.execute(statement)


async def account_id(account: dict[str, Any]) -> int:
    return int(global_id_of(account))


@pytest.fixture
async def day(books: Books) -> date:
    await books.open_business_date(DAY)
    return DAY


# -- the books ------------------------------------------------------------------------------


async def test_sound_books_close_without_a_break(books: Books, day: date) -> None:
    source = await books.account_with("300.00")
    target = await books.account_with("0")
    await books.transfer(source, target, "120.00")
    closed = await books.close_days(NEXT)
    assert closed[0].report["finance.reconciliation"] == "no exceptions"
    assert await exceptions(books) == []


async def test_a_tampered_balance_is_recorded_once_and_not_corrected(
    books: Books, day: date
) -> None:
    account = await books.account_with("500.00")
    await write(
        books,
        update(Account)
        .where(Account.id == await account_id(account))
        .values(balance=Decimal("5000.00")),
    )
    await books.close_days(NEXT)
    (found,) = await exceptions(books)
    assert found["kind"] == "BALANCE_MISMATCH"
    assert found["amount"]["amount"] == "5000.00"
    assert found["otherAmount"]["amount"] == "500.00"
    assert found["account"]["accountNo"] == account["accountNo"]
    assert found["foundOn"] == found["lastSeenOn"] == "2026-03-02"
    assert await books.balance(account) == Decimal("5000.00"), "recorded, not silently fixed"

    await books.close_days(date(2026, 3, 4))
    (again,) = await exceptions(books)
    assert again["id"] == found["id"]
    assert again["lastSeenOn"] == "2026-03-03"


async def test_a_missing_posting_breaks_its_entry_its_account_and_the_ledger(
    books: Books, day: date
) -> None:
    source = await books.account_with("300.00")
    target = await books.account_with("0")
    moved = await books.transfer(source, target, "120.00")
    assert moved["errors"] == []
    await write(
        books,
        delete(Posting).where(
            Posting.account_id == await account_id(target), Posting.kind == "TRANSFER_IN"
        ),
    )
    await books.close_days(NEXT)
    found = await exceptions(books)
    assert kinds(found) == ["BALANCE_MISMATCH", "ENTRY_OUT_OF_BALANCE", "LEDGER_OUT_OF_BALANCE"]
    by_kind = {e["kind"]: e for e in found}
    assert by_kind["ENTRY_OUT_OF_BALANCE"]["amount"]["amount"] == "-120.00"
    assert by_kind["LEDGER_OUT_OF_BALANCE"]["amount"] == {"amount": "-120.00", "currency": "CNY"}
    assert by_kind["BALANCE_MISMATCH"]["account"]["accountNo"] == target["accountNo"]
    assert by_kind["BALANCE_MISMATCH"]["otherAmount"]["amount"] == "0.00"


async def test_an_internal_account_off_its_expected_total_is_a_break(
    books: Books, day: date
) -> None:
    """Suspense must be empty at the close: a balanced entry leaving money there
    keeps the ledger sound but is still a break."""
    async with books.runtime.database.transaction(Mode.WRITE) as session:
        cash = await lock_internal_account(session, InternalAccount.CASH, "CNY")
        suspense = await lock_internal_account(session, InternalAccount.SUSPENSE, "CNY")
        await post_entry(
            session,
            kind="MANUAL",
            lines=[
                Line(cash, Decimal("-75.00"), "MANUAL"),
                Line(suspense, Decimal("75.00"), "MANUAL"),
            ],
            value_date=DAY,
        )
    await books.close_days(NEXT)
    (found,) = await exceptions(books)
    assert found["kind"] == "INTERNAL_ACCOUNT_MISMATCH"
    assert (found["amount"]["amount"], found["otherAmount"]["amount"]) == ("75.00", "0.00")
    assert found["account"] is None, "the bank's own accounts are not reached through the API"


async def test_a_resolved_break_found_again_is_a_new_exception(books: Books, day: date) -> None:
    account = await books.account_with("10.00")
    await write(
        books, update(Account).where(Account.id == await account_id(account)).values(balance=0)
    )
    await books.close_days(NEXT)
    (found,) = await exceptions(books)
    admin = await books.bank.sign_in("admin")
    resolved = await admin.data(
        UPDATE, {"input": {"id": found["id"], "status": "RESOLVED", "note": "Looked at it."}}
    )
    assert resolved["updateReconciliationException"]["errors"] == []
    await books.close_days(date(2026, 3, 4))
    found = await exceptions(books)
    assert [(e["status"], e["foundOn"]) for e in found] == [
        ("OPEN", "2026-03-03"),
        ("RESOLVED", "2026-03-02"),
    ]


async def test_running_a_day_again_records_nothing_twice(books: Books, day: date) -> None:
    await books.account_with("50000.00")
    await books.close_days(NEXT)
    admin = await books.bank.sign_in("admin")
    body = await admin.data(RUN, {"input": {"businessDate": "2026-03-02"}})
    findings = {f["kind"]: f for f in body["runReconciliation"]["findings"]}
    assert findings["LARGE_CASH"] == {"kind": "LARGE_CASH", "total": 1, "new": 0}
    assert len(await exceptions(books)) == 1
    future = await admin.data(RUN, {"input": {"businessDate": "2026-03-09"}})
    assert codes(future["runReconciliation"]) == ["INVALID_DATE"]


# -- anomalies ------------------------------------------------------------------------------


async def test_cash_at_the_large_value_threshold_is_flagged_and_below_it_is_not(
    books: Books, day: date
) -> None:
    large = await books.account_with("50000.00")
    await books.account_with("49999.99")
    out = await books.account_with("0")
    await books.deposit(out, "80000.00")
    await books.close_days(NEXT)
    await books.withdraw(out, "50000.00")
    await books.close_days(date(2026, 3, 4))
    found = await exceptions(books, kind=["LARGE_CASH"])
    assert [(e["account"]["accountNo"], e["amount"]["amount"], e["foundOn"]) for e in found] == [
        (out["accountNo"], "-50000.00", "2026-03-03"),
        (out["accountNo"], "80000.00", "2026-03-02"),
        (large["accountNo"], "50000.00", "2026-03-02"),
    ]
    assert found[0]["reference"].startswith("20260303")
    assert "large-value" in found[0]["description"]


async def test_several_cash_movements_just_under_the_threshold_are_structuring(
    books: Books, day: date
) -> None:
    customer = await books.customer()
    first = await books.account_with("46000.00", customer)
    await books.account_with("48500.00", customer)
    await books.withdraw(first, "45000.00")
    other = await books.customer()
    await books.account_with("47000.00", other)  # one alone is not a pattern
    await books.account_with("30000.00", other)  # nor is a sum under the band
    await books.close_days(NEXT)
    (found,) = await exceptions(books, kind=["STRUCTURING"])
    assert found["customer"]["customerNo"] == customer["customerNo"]
    assert found["movements"] == 3
    assert found["amount"] == {"amount": "139500.00", "currency": "CNY"}
    assert "just under" in found["description"]


async def test_money_in_and_straight_out_the_same_day_is_pass_through(
    books: Books, day: date
) -> None:
    through = await books.account_with("0")
    kept = await books.account_with("0")
    elsewhere = await books.account_with("0")
    savings = await books.account_with("120000.00")
    await books.close_days(NEXT)
    for account in (through, kept):
        await books.transfer(savings, account, "60000.00")
    await books.transfer(through, elsewhere, "55000.00")
    await books.transfer(kept, elsewhere, "20000.00")
    await books.close_days(date(2026, 3, 4))
    flagged = await exceptions(books, kind=["PASS_THROUGH"])
    assert [(e["account"]["accountNo"], e["foundOn"]) for e in flagged] == [
        (through["accountNo"], "2026-03-03")
    ]
    assert flagged[0]["movements"] == 2
    assert (flagged[0]["amount"]["amount"], flagged[0]["otherAmount"]["amount"]) == (
        "60000.00",
        "55000.00",
    )


# -- the clearing statement -----------------------------------------------------------------


async def day_postings(books: Books) -> list[Posting]:
    async with books.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(
            select(Posting)
            .join(Account, Account.id == Posting.account_id)
            .where(Posting.value_date == DAY, Account.customer_id.is_not(None))
            .order_by(Posting.id)
        )
        return list(rows)


def line(posting: Posting, amount: Decimal | None = None) -> str:
    amount = posting.amount if amount is None else amount
    direction = "CREDIT" if amount > 0 else "DEBIT"
    return f"{posting_reference(posting.id, DAY)},{DAY},{abs(amount)},{direction},6222021234"


async def importing(books: Books, content: str, on: str = "2026-03-02") -> dict[str, Any]:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(
        IMPORT, {"input": {"businessDate": on, "fileName": "cnaps.csv", "content": content}}
    )
    return body["importClearingStatement"]


async def test_a_statement_is_matched_and_each_difference_recorded(books: Books, day: date) -> None:
    source = await books.account_with("900.00")
    target = await books.account_with("0")
    await books.transfer(source, target, "250.00")
    await books.close_days(NEXT)
    deposit, transfer_out, transfer_in = await day_postings(books)
    content = "\n".join(
        [
            "reference,value date,amount,direction,counterparty",
            line(deposit),
            line(transfer_out, Decimal("-205.00")),
            "UNION-77,2026-03-02,18.00,CREDIT,6222029999",
        ]
    )
    payload = await importing(books, content)
    assert payload["errors"] == []
    assert payload["statement"] == {
        "businessDate": "2026-03-02",
        "fileName": "cnaps.csv",
        "lines": 3,
        "matched": 1,
        "missingOnOurSide": 1,
        "missingOnTheirSide": 1,
        "amountMismatches": 1,
    }
    found = {e["kind"]: e for e in await exceptions(books)}
    assert set(found) == {"AMOUNT_MISMATCH", "MISSING_ON_OUR_SIDE", "MISSING_ON_THEIR_SIDE"}
    mismatch = found["AMOUNT_MISMATCH"]
    assert (mismatch["amount"]["amount"], mismatch["otherAmount"]["amount"]) == (
        "-205.00",
        "-250.00",
    )
    assert mismatch["account"]["accountNo"] == source["accountNo"]
    assert found["MISSING_ON_OUR_SIDE"]["reference"] == "UNION-77"
    assert found["MISSING_ON_OUR_SIDE"]["counterparty"] == "6222029999"
    assert found["MISSING_ON_THEIR_SIDE"]["reference"] == posting_reference(transfer_in.id, DAY)
    assert found["MISSING_ON_THEIR_SIDE"]["account"]["accountNo"] == target["accountNo"]

    again = await importing(books, content)
    assert again["statement"] == payload["statement"]
    assert len(await exceptions(books)) == 3
    other = await importing(books, content + "\n")
    assert codes(other) == ["STATEMENT_ALREADY_IMPORTED"]

    ask = '{ clearingStatement(businessDate: "2026-03-02") { lines matched } }'
    auditor = await books.bank.sign_in("auditor")
    assert (await auditor.data(ask))["clearingStatement"] == {"lines": 3, "matched": 1}
    branch = await books.bank.sign_in("bj.manager")
    assert (await branch.data(ask))["clearingStatement"] is None, "the bank's, not a branch's"


async def test_a_statement_file_with_bad_lines_is_refused_whole(books: Books, day: date) -> None:
    await books.account_with("900.00")
    await books.close_days(NEXT)
    (deposit,) = await day_postings(books)
    content = "\n".join(
        [
            line(deposit),
            "R1,2026-03-02,12.345,CREDIT,6222",
            "R2,2026-03-01,10.00,CREDIT,6222",
            "R3,2026-03-02,10.00,SIDEWAYS,6222",
            "R4,2026-03-02,10.00,CREDIT",
            "",
            "R5,2026-03-02,-3,DEBIT,6222",
            line(deposit),
        ]
    )
    payload = await importing(books, content)
    assert payload["statement"] is None
    assert codes(payload) == ["INVALID_STATEMENT_FILE"]
    assert [bad["line"] for bad in payload["badLines"]] == [2, 3, 4, 5, 7, 8]
    assert "already on line 1" in payload["badLines"][-1]["message"]
    assert await books.bank.count(ClearingStatementLine) == 0
    assert await books.bank.count(ReconciliationException) == 0


async def test_crm_reconcile_matches_a_statement_file_or_refuses_it_line_by_line(
    books: Books, day: date, database_url: str, tmp_path: Path
) -> None:
    await books.account_with("900.00")
    await books.close_days(NEXT)
    (deposit,) = await day_postings(books)
    broken = tmp_path / "broken.csv"
    broken.write_text(f"{line(deposit)}\nR1,2026-03-02,ten,CREDIT,6222\n", encoding="utf-8")
    refused = crm(database_url, "reconcile", "--statement", str(broken), cwd=tmp_path)
    assert refused.returncode == 2
    assert "Line 2: the amount 'ten' is not a positive amount" in refused.stdout
    assert "1 bad lines; the statement was not imported" in refused.stderr
    assert await books.bank.count(ClearingStatementLine) == 0

    good = tmp_path / "good.csv"
    good.write_text(f"{line(deposit)}\nR9,2026-03-02,5.00,DEBIT,6222\n", encoding="utf-8")
    done = crm(
        database_url, "reconcile", "--date", "2026-03-02", "--statement", str(good), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "2 lines, 1 matched, 1 missing on our side, 0 missing on theirs" in done.stdout
    assert kinds(await exceptions(books)) == ["MISSING_ON_OUR_SIDE"]


async def test_a_statement_waits_for_its_date_to_close(books: Books, day: date) -> None:
    payload = await importing(books, "R1,2026-03-02,10.00,CREDIT,6222")
    assert codes(payload) == ["BUSINESS_DATE_NOT_CLOSED"]


# -- working exceptions, and who sees them --------------------------------------------------


async def test_an_exception_is_assigned_noted_and_resolved(books: Books, day: date) -> None:
    await books.account_with("50000.00")
    await books.close_days(NEXT)
    (found,) = await exceptions(books)
    manager = await books.bank.sign_in("bj.manager")

    async def change(**input: Any) -> dict[str, Any]:
        body = await manager.data(UPDATE, {"input": {"id": found["id"]} | input})
        return body["updateReconciliationException"]

    assert codes(await change(assigneeId=books.bank.user("bj.teller"))) == ["INVALID_ASSIGNEE"]
    assert codes(await change()) == ["NOTHING_TO_CHANGE"]
    assigned = await change(assigneeId=books.bank.user("bj.manager"), status="INVESTIGATING")
    assert assigned["errors"] == []
    assert assigned["exception"]["assignee"] == {"username": "bj.manager"}
    assert codes(await change(status="RESOLVED")) == ["NOTE_REQUIRED"]
    resolved = await change(status="RESOLVED", note="大额现金已报送反洗钱系统。")
    assert resolved["exception"]["status"] == "RESOLVED"
    assert resolved["exception"]["resolvedAt"] is not None
    assert [n["status"] for n in resolved["exception"]["notes"]] == ["INVESTIGATING", "RESOLVED"]
    assert codes(await change(status="OPEN")) == ["NOTE_REQUIRED"]
    reopened = await change(status="OPEN", note="客户补充了材料，重新核查。")
    assert reopened["exception"]["status"] == "OPEN"
    assert reopened["exception"]["resolvedAt"] is None


async def test_branch_staff_see_their_customers_exceptions_only(books: Books, day: date) -> None:
    beijing = await books.account_with("50000.00")
    shanghai = await books.account_with("60000.00", await books.customer(branchCode=SH))
    await write(
        books,
        update(Account).where(Account.id == await account_id(beijing)).values(balance=1),
    )
    await books.close_days(NEXT)
    assert kinds(await exceptions(books)) == ["BALANCE_MISMATCH", "LARGE_CASH", "LARGE_CASH"]
    assert kinds(await exceptions(books, by="auditor")) == kinds(await exceptions(books))
    seen = await exceptions(books, by="sh.manager")
    assert [(e["kind"], e["account"]["accountNo"]) for e in seen] == [
        ("LARGE_CASH", shanghai["accountNo"])
    ]
    beijing_only = {e["id"] for e in await exceptions(books, by="bj.manager")}
    assert len(beijing_only) == 2
    assert seen[0]["id"] not in beijing_only

    sh_manager = await books.bank.sign_in("sh.manager")
    for hidden in beijing_only:
        node = await sh_manager.data("query($id: ID!) { node(id: $id) { id } }", {"id": hidden})
        assert node["node"] is None
        body = await sh_manager.data(UPDATE, {"input": {"id": hidden, "status": "INVESTIGATING"}})
        assert codes(body["updateReconciliationException"]) == [
            "RECONCILIATION_EXCEPTION_NOT_FOUND"
        ]
    teller = await books.bank.sign_in("bj.teller")
    refused = await teller.execute(EXCEPTIONS, {"filter": None})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_of_exceptions_costs_the_same_for_3_as_for_30(
    books: Books, day: date, sql: Any
) -> None:
    for _ in range(30):
        await books.account_with("50000.00")
    await books.close_days(NEXT)
    await write(
        books,
        update(ReconciliationException).values(assignee_id=books.bank.user_ids["bj.manager"]),
    )
    manager = await books.bank.sign_in("bj.manager")
    page = EXCEPTIONS.replace("first: 100", "first: $first").replace(
        "query($filter", "query($first: Int, $filter"
    )
    await manager.data(page, {"first": 1})  # signed in and warmed up
    counts = []
    for first in (3, 30):
        sql.reset()
        body = await manager.data(page, {"first": first})
        assert len(body["reconciliationExceptions"]["edges"]) == first
        counts.append(sql.count)
    assert counts[0] == counts[1], sql.statements
    assert counts[1] == 7, sql.statements  # sign-in, page, count, accounts, customers,
    # assignees, notes
