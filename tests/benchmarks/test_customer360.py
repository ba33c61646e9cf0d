"""Scenario 1, short: the customer 360 query's statement counts and answers
on a small bank (``benchmarks/customer360.py``).

The benchmark's counts are deterministic, its timings are not: this asks the
same requests in-process, through the benchmark's own functions, and checks
what holds on any machine. Each request sends the statements
``docs/performance.md`` gives, whatever the page size, and answers exactly
the rows the floor's hand-written SQL fetches. No timing is asserted.
"""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import bank
import customer360
import httpx
import orjson
import pytest
from sqlalchemy.engine import make_url

from core.runtime import Runtime
from tests.conftest import _drop_postgres_database, settings_for

CUSTOMERS = 120
"""Enough for a page of 100 with some left over."""
TRANSACTIONS_PER_ACCOUNT = 12
"""More than the 10 the query asks for, so each account's list is cut short."""
DOCUMENTED_STATEMENTS = {
    "one customer": 9,
    "page of 10": 9,
    "page of 50": 9,
    "page of 100": 9,
}
"""SQL statements per request, as ``docs/performance.md`` gives them: the
sign-in check (the session with its user and roles), the customers, then one
per loader level (branches, managers, accounts, their postings, memberships,
campaigns, open tickets); the same for every page size."""


@pytest.fixture(scope="module")
async def bank_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A bank of :data:`CUSTOMERS` built by ``benchmarks/bank.py`` in a fresh
    database of the kind under test: a SQLite file, or a uniquely named
    database on the ``CRM_TEST_DATABASE_URL`` server, dropped afterwards."""
    server = os.environ.get("CRM_TEST_DATABASE_URL")
    if not server:
        target = tmp_path_factory.mktemp("bank") / "bank.db"
        built = await bank.build(
            target, CUSTOMERS, transactions_per_account=TRANSACTIONS_PER_ACCOUNT
        )
        yield built.url
        return
    server_url = make_url(server)
    database = server_url.set(database=f"crm_test_customer360_{secrets.token_hex(4)}")
    try:
        built = await bank.build(
            database.render_as_string(hide_password=False),
            CUSTOMERS,
            transactions_per_account=TRANSACTIONS_PER_ACCOUNT,
        )
        yield built.url
    finally:
        await _drop_postgres_database(server_url, database)


@pytest.fixture(scope="module")
async def bank_runtime(bank_url: str) -> AsyncIterator[Runtime]:
    """The bank's runtime (not the suite's ``runtime``, whose tables each test empties)."""
    runtime = Runtime.create(settings_for(bank_url))
    yield runtime
    await runtime.close()


@dataclass
class Desk:
    """The head-office admin signed in to the app in-process, as the benchmark asks."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    one_id: str
    one_key: int

    def asker(self, case: str, size: int) -> Callable[[], Awaitable[bytes]]:
        one = self.one_id if case == "one customer" else None
        return customer360.asker(self.http, self.headers, size, one)


@pytest.fixture(scope="module")
async def desk(bank_runtime: Runtime) -> AsyncIterator[Desk]:
    thresholds = gc.get_threshold()
    app = customer360.served_app(bank_runtime)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.bench") as http:
            headers = await customer360.sign_in(http)
            one_id, one_key = await customer360.newest_customer(http, headers)
            yield Desk(http, headers, one_id, one_key)
    finally:
        # served_app settles the garbage collector for a server's life; not the suite's.
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.parametrize(("case", "size"), customer360.CASES)
async def test_statements_per_request_are_the_documented_ones(
    desk: Desk, bank_runtime: Runtime, case: str, size: int
) -> None:
    engine = bank_runtime.database.engine.sync_engine
    statements, _ = await customer360.statements_per_request(desk.asker(case, size), engine)

    assert statements == DOCUMENTED_STATEMENTS[case]


@pytest.mark.parametrize(("case", "size"), customer360.CASES)
async def test_the_answer_is_the_floors(
    desk: Desk, bank_runtime: Runtime, case: str, size: int
) -> None:
    answer = await desk.asker(case, size)()
    floor = customer360.Floor(postgresql=bank_runtime.database.engine.dialect.name == "postgresql")
    key = desk.one_key if case == "one customer" else None
    async with bank_runtime.database.engine.connect() as connection:
        expected = await floor.fetch(connection, size, key)

    assert orjson.loads(answer) == orjson.loads(expected)


async def test_a_page_of_100_holds_every_row(desk: Desk) -> None:
    answer = await desk.asker("page of 100", 100)()

    rows = customer360.contents(orjson.loads(answer))
    assert (rows["customers"], rows["accounts"], rows["transactions"]) == (100, 300, 3_000)
