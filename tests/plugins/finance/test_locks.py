"""Locking the accounts a movement touches (``plugins.finance.locks``): a movement
waits for an account another transaction holds, but not for ever."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from sqlalchemy.exc import DBAPIError

from core import db
from core.database_errors import DatabaseBusy, database_failure
from core.db import Database, Mode
from plugins.finance import movements
from plugins.finance.locks import lock_customer_accounts
from tests.plugins.finance.conftest import Books, global_id_of, head_office


async def test_a_movement_waiting_too_long_for_an_account_is_told_to_retry_and_moves_nothing(
    books: Books, monkeypatch: pytest.MonkeyPatch
):
    if books.runtime.database.is_sqlite:
        pytest.skip("SQLite's writers wait for the whole database (tests/core/test_db.py)")
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    source_id, target_id = int(global_id_of(source)), int(global_id_of(target))
    asked = movements.Request(head_office(books.bank.user_ids["admin"]), books.key())
    monkeypatch.setattr(db, "LOCK_WAIT_MS", 200)
    impatient = Database(books.runtime.database.url)

    async def transfer(database: Database) -> None:
        async with database.transaction(Mode.WRITE) as session:
            await movements.transfer(
                session, books.runtime.settings, asked, source_id, target_id, Decimal("1.00")
            )

    try:
        async with books.runtime.database.transaction(Mode.WRITE) as holder:
            await lock_customer_accounts(holder, None, [source_id])  # and keeps it
            started = time.monotonic()
            with pytest.raises(DBAPIError) as waited:
                async with asyncio.timeout(10):  # fail, not hang, if it waited on
                    await transfer(impatient)
            waited_for = time.monotonic() - started
    finally:
        await impatient.dispose()

    assert isinstance(database_failure(waited.value), DatabaseBusy)
    assert 0.2 <= waited_for < 5
    assert await books.balance(source) == Decimal("100.00")
    await transfer(books.runtime.database)  # the same key, once the account is free
    assert await books.balance(source) == Decimal("99.00")
    assert (await books.ledger()).ok
