"""Posting an entry: what it writes, in how many statements, and what the session
holds afterwards (``plugins.finance.ledger.post_entry``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import Mode
from plugins.finance import movements
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_customer_accounts
from plugins.finance.models import Account, Posting
from tests.conftest import StatementCounter
from tests.plugins.finance.conftest import Books, global_id_of

BARE_TRANSFER = """
mutation($input: TransferInput!) { transfer(input: $input) { transfer { id } errors { code } } }
"""


def writes(sql: StatementCounter, what: str) -> list[str]:
    """The statements that did ``what`` (``UPDATE finance_account``, say)."""
    return [s for s in sql.statements if what in " ".join(s.split())]


async def test_a_transfer_writes_its_balances_and_postings_without_a_statement_per_line(
    books: Books, sql: StatementCounter
):
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    await books.transfer(source, target, "1.00")  # signed in, warm
    sql.reset()

    payload = await books.transfer(source, target, "2.50")

    assert payload["errors"] == []
    assert len(writes(sql, "UPDATE finance_account SET balance")) == 1
    assert len(writes(sql, "INSERT INTO finance_posting")) == 1
    assert await books.balance(source) == Decimal("96.50")
    assert await books.balance(target) == Decimal("3.50")
    assert (await books.ledger()).ok


async def test_a_transfer_takes_seven_statements_on_postgresql_each_compiled_once(
    books: Books, sql: StatementCounter
):
    """Compiled once: a statement SQLAlchemy cannot cache (a multi-row ``VALUES``,
    say) is compiled again on every request, which costs more than sending it."""
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    caller = await books.bank.sign_in("admin")

    async def transfer() -> dict[str, Any]:
        asked = {"fromAccountId": source["id"], "toAccountId": target["id"], "amount": "2.50"}
        body = await caller.data(BARE_TRANSFER, {"input": asked | {"idempotencyKey": books.key()}})
        return body["transfer"]

    await transfer()
    sql.reset()

    payload = await transfer()

    assert payload["errors"] == []
    assert not writes(sql, "SELECT finance_journal_entry")  # the payload's entry is at hand
    # signing in; the business date held; the key claimed; the accounts locked; the
    # entry with the balances and postings (three on SQLite); the key's entry; the
    # audit chain's head moved on with the record (SQLite: the head read, then three)
    assert sql.count == (12 if books.runtime.database.is_sqlite else 7), sql.statements
    assert sql.compiled_anew == []


async def test_after_posting_the_session_holds_the_stored_balances_with_nothing_left_to_write(
    books: Books,
):
    source = await books.account_with("100.00")
    target = await books.account_with("20.00")
    source_id, target_id = int(global_id_of(source)), int(global_id_of(target))

    async with books.runtime.database.transaction(Mode.WRITE) as session:
        locked = await lock_customer_accounts(session, None, [source_id, target_id])
        await post_entry(
            session,
            kind=movements.TRANSFER,
            lines=[
                Line(locked[source_id], Decimal("-30.01"), movements.TRANSFER_OUT),
                Line(locked[target_id], Decimal("30.01"), movements.TRANSFER_IN),
            ],
            value_date=books.runtime.settings.today(),
        )
        assert locked[source_id].balance == Decimal("69.99")
        assert locked[target_id].balance == Decimal("50.01")
        assert not session.dirty  # written already, and not again at commit
        stored = await session.execute(
            select(Account.id, Account.balance).where(Account.id.in_([source_id, target_id]))  # type: ignore[union-attr]
        )
        assert dict(stored.all()) == {
            source_id: Decimal("69.99"),
            target_id: Decimal("50.01"),
        }

    async with books.runtime.database.transaction(Mode.READ) as session:
        last = await session.scalars(
            select(Posting)
            .where(Posting.account_id.in_([source_id, target_id]))  # type: ignore[union-attr]
            .order_by(Posting.id.desc())  # type: ignore[union-attr]
            .limit(2)
        )
        postings = {(p.account_id, p.amount, p.balance_after, p.kind) for p in last}
    assert postings == {
        (source_id, Decimal("-30.01"), Decimal("69.99"), movements.TRANSFER_OUT),
        (target_id, Decimal("30.01"), Decimal("50.01"), movements.TRANSFER_IN),
    }
    assert await books.balance(source) == Decimal("69.99")
    assert (await books.ledger()).ok
