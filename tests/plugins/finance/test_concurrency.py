"""Money under concurrent load, over real HTTP against a real `crm serve` process
running on the suite's own database (SQLite by default, PostgreSQL with
``CRM_TEST_DATABASE_URL``).

Each test seeds its bank through the services (a head-office administrator,
customers, accounts with money), signs in over HTTP and then races clients
against each other: transfers never lose an update, overdraw, deadlock or fail,
readers always see all the money, and the last 5.00 of an account is spent once.
Each test prints a one-line summary (visible with ``-s``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import func, select

from core.authorization import Principal, Role
from core.db import Mode
from core.runtime import Runtime
from plugins.customer.models import Customer, CustomerKind
from plugins.customer.registration import Registration, register_customer
from plugins.finance import movements
from plugins.finance.accounts import Opening, open_account
from plugins.finance.ledger import check_ledger
from plugins.finance.models import Account, AccountKind, JournalEntry, Posting
from tests.conftest import PASSWORD, TEST_SECRET, UNLIMITED_RATES, Staff
from tests.core.test_serve import free_port
from tests.plugins.customer.conftest import BJ, global_id, resident_id
from tests.plugins.finance.conftest import head_office

CRM = str(Path(sys.executable).with_name("crm"))
T = TypeVar("T")
TIMEOUT = httpx.Timeout(60.0)

LOGIN = """
mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { token errors { code } }
}
"""
TRANSFER = """
mutation($input: TransferInput!) {
  transfer(input: $input) { transfer { id } errors { code } }
}
"""
WITHDRAW = """
mutation($input: CashInput!) {
  withdraw(input: $input) { transaction { id } errors { code } }
}
"""


# --- The server -------------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as file:
            file.seek(offset)
            return file.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size


@pytest.fixture(scope="module")
def server(
    runtime: Runtime, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`crm serve` on the suite's database (already migrated by ``runtime``); its log
    goes to a file (a pipe nobody reads would fill up and stall it)."""
    env = {
        **os.environ,
        "CRM_DATABASE_URL": database_url,
        "CRM_SECRET_KEY": TEST_SECRET,
        "CRM_LOG_LEVEL": "WARNING",
        **{f"CRM_{name.upper()}": str(value) for name, value in UNLIMITED_RATES.items()},
    }  # a load test from one address: the rate limits would refuse most of it
    env.pop("CRM_PLUGINS", None)
    log = tmp_path_factory.mktemp("served") / "serve.log"
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [CRM, "serve", "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    served = Server(f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"crm serve exited: {served.log_since(0)}")
            try:
                if httpx.get(f"{served.base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"crm serve did not start: {served.log_since(0)}")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- The bank ---------------------------------------------------------------------------------


@dataclass
class ServedBank:
    """A bank seeded through the services, and the server to reach it through."""

    runtime: Runtime
    server: Server
    principal: Principal
    customer_ids: list[int]
    log_offset: int = 0
    token: str = ""
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def key(self, prefix: str) -> str:
        return f"{prefix}-{next(self._keys)}"

    async def open(self, amount: Decimal, customer: int = 0) -> int:
        """A demand account holding ``amount``; its database id."""
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            owner = await session.get_one(Customer, self.customer_ids[customer])
            account = await open_account(
                session, self.runtime.settings, self.principal, owner, Opening(AccountKind.DEMAND)
            )
            if amount:
                await movements.deposit(
                    session,
                    self.runtime.settings,
                    movements.Request(self.principal, self.key("seed")),
                    account.id,
                    amount,
                )
            return account.id  # type: ignore[return-value]

    async def balances(self, ids: list[int]) -> list[Decimal]:
        async with self.runtime.database.transaction(Mode.READ) as session:
            rows = {
                row.id: row.balance
                for row in await session.scalars(
                    select(Account).where(Account.id.in_(ids))  # type: ignore[union-attr]
                )
            }
        return [rows[i] for i in ids]

    async def check_books(self, ids: list[int], total: Decimal) -> list[Decimal]:
        """The ledger balances, each account's balance is the sum of its postings,
        none is negative, and together they hold ``total``; the balances."""
        async with self.runtime.database.transaction(Mode.READ) as session:
            ledger = await check_ledger(session)
            assert ledger.ok, ledger
            posted = dict(
                (
                    await session.execute(
                        select(Posting.account_id, func.sum(Posting.amount))
                        .where(Posting.account_id.in_(ids))  # type: ignore[attr-defined]
                        .group_by(Posting.account_id)
                    )
                ).all()
            )
        balances = await self.balances(ids)
        for account_id, balance in zip(ids, balances, strict=True):
            assert Decimal(posted.get(account_id, 0)) == balance, account_id
            assert balance >= 0, (account_id, balance)
        assert sum(balances) == total
        return balances

    def server_errors(self) -> list[str]:
        """What the server logged as errors since the bank was set up."""
        logged = self.server.log_since(self.log_offset).splitlines()
        return [line[:2000] for line in logged if '"level":"error"' in line]

    async def entries(self, kind: str) -> int:
        async with self.runtime.database.transaction(Mode.READ) as session:
            return await session.scalar(  # type: ignore[return-value]
                select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == kind)
            )


@pytest.fixture
async def served_bank(runtime: Runtime, staff: Staff, server: Server) -> ServedBank:
    """A branch, a head-office administrator ``root`` signed in over HTTP, and four
    customers."""
    await staff.branch(BJ)
    user_id = await staff.user("root", Role.ADMIN)
    principal = head_office(user_id)
    customer_ids = []
    async with runtime.database.transaction(Mode.WRITE) as session:
        for serial in range(1, 5):
            customer = await register_customer(
                session,
                principal,
                Registration(CustomerKind.INDIVIDUAL, f"客户{serial}", resident_id(serial), BJ),
                runtime.settings.today(),
            )
            await session.flush()
            customer_ids.append(customer.id)
    served_bank = ServedBank(runtime, server, principal, customer_ids, log_offset=server.log_size())
    async with httpx.AsyncClient(base_url=server.base, timeout=TIMEOUT) as http:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "root", "p": PASSWORD}}
        )
    body = response.json()
    assert body["data"]["login"]["errors"] == [], body
    served_bank.token = body["data"]["login"]["token"]
    return served_bank


# --- Clients ----------------------------------------------------------------------------------


@dataclass
class Tally:
    operations: int = 0
    done: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    reads: int = 0
    failed: list[str] = field(default_factory=list)
    slowest: float = 0.0
    """The longest a request took, in seconds."""

    def refusal(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1

    def line(self, test: str) -> str:
        return (
            f"\n{test}: {self.operations} operations, {self.done} done, "
            f"refused {sum(self.refused.values())} {self.refused}, {self.reads} reads, "
            f"{len(self.failed)} failed requests"
            + (f", slowest {self.slowest:.1f} s" if self.slowest else "")
        )


class Failed(Exception):
    """The server failed a request (HTTP 5xx, GraphQL ``errors``): never acceptable."""


class Client:
    """One front end: its own connection(s) to the server, posting GraphQL as ``root``."""

    def __init__(self, served_bank: ServedBank) -> None:
        self.http = httpx.AsyncClient(
            base_url=served_bank.server.base,
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {served_bank.token}"},
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    async def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The response's ``data``; raises :class:`Failed` unless the server answered
        HTTP 200 without GraphQL ``errors``."""
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        if response.status_code != 200:
            raise Failed(f"HTTP {response.status_code}: {response.text[:200]}")
        body = response.json()
        if "errors" in body:
            raise Failed(f"GraphQL errors: {body['errors']}")
        return body["data"]

    async def transfer(
        self, source: int, target: int, amount: Decimal, key: str
    ) -> tuple[str | None, list[str]]:
        """The transfer's global id (None if refused) and the payload's error codes."""
        data = await self.post(
            TRANSFER,
            {
                "input": {
                    "fromAccountId": global_id("Account", source),
                    "toAccountId": global_id("Account", target),
                    "amount": str(amount),
                    "idempotencyKey": key,
                }
            },
        )
        payload = data["transfer"]
        codes = [error["code"] for error in payload["errors"]]
        return (payload["transfer"] or {}).get("id"), codes

    async def withdraw(self, account: int, amount: Decimal, key: str) -> list[str]:
        data = await self.post(
            WITHDRAW,
            {
                "input": {
                    "accountId": global_id("Account", account),
                    "amount": str(amount),
                    "idempotencyKey": key,
                }
            },
        )
        return [error["code"] for error in data["withdraw"]["errors"]]

    async def balances(self, ids: list[int]) -> list[Decimal]:
        """Every account's balance, read in ONE query (one snapshot)."""
        variables = {f"a{n}": global_id("Account", i) for n, i in enumerate(ids)}
        query = (
            "query("
            + ", ".join(f"${name}: ID!" for name in variables)
            + ") { "
            + " ".join(
                f"{name}: account(id: ${name}) {{ balance {{ amount }} }}" for name in variables
            )
            + " }"
        )
        data = await self.post(query, variables)
        return [Decimal(data[name]["balance"]["amount"]) for name in variables]


async def race(
    count: int, attempt: Callable[[Client, int], Awaitable[T]], served_bank: ServedBank
) -> list[T]:
    """``count`` clients, each with its connection open first, then all let go at
    once (by the last one ready); what each attempt returned, in order."""
    go = asyncio.Event()
    ready = 0

    async def one(n: int) -> T:
        nonlocal ready
        async with Client(served_bank) as client:
            await client.post("{ __typename }", {})
            ready += 1
            if ready == count:
                go.set()
            await go.wait()
            return await attempt(client, n)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(n)) for n in range(count)]
    return [task.result() for task in tasks]


# --- Tests ------------------------------------------------------------------------------------

ACCOUNTS = 8
MOVERS = 16
PER_MOVER = 50
READERS = 2
READ_PAUSE = 0.05
"""Seconds a reader waits between reads (the server is one process; let it move money)."""
STARTING = Decimal("25.00")


async def test_sixteen_clients_move_money_among_eight_accounts_while_others_read_it_all(
    served_bank: ServedBank,
):
    ids = [await served_bank.open(STARTING, customer=n % 4) for n in range(ACCOUNTS)]
    total = STARTING * ACCOUNTS
    rng = random.Random(20240611)  # noqa: S311  (reproducible test load, not secrets)
    plans = [
        [
            (*rng.sample(range(ACCOUNTS), 2), Decimal(rng.randint(100, 500)) / 100)
            for _ in range(PER_MOVER)
        ]
        for _ in range(MOVERS)
    ]
    tally = Tally()
    moved = [Decimal("0.00")] * ACCOUNTS
    moving = True

    async def mover(plan: list[tuple[int, int, Decimal]]) -> None:
        async with Client(served_bank) as client:
            for source, target, amount in plan:
                tally.operations += 1
                started = time.monotonic()
                try:
                    transfer_id, codes = await client.transfer(
                        ids[source], ids[target], amount, served_bank.key("move")
                    )
                except Failed as failure:  # counted; the test fails once all have run
                    tally.failed.append(str(failure))
                    continue
                finally:
                    tally.slowest = max(tally.slowest, time.monotonic() - started)
                if codes:
                    assert codes == ["INSUFFICIENT_FUNDS"], codes
                    assert transfer_id is None
                    tally.refusal(codes[0])
                else:
                    assert transfer_id is not None
                    tally.done += 1
                    moved[source] -= amount
                    moved[target] += amount

    async def reader() -> None:
        """Reads while the money moves, and once more after."""
        async with Client(served_bank) as client:
            while True:
                last = not moving
                try:
                    balances = await client.balances(ids)
                except Failed as failure:
                    tally.failed.append(f"read: {failure}")
                else:
                    tally.reads += 1
                    assert sum(balances) == total, balances
                    assert all(balance >= 0 for balance in balances), balances
                if last:
                    return
                await asyncio.sleep(READ_PAUSE)

    async with asyncio.TaskGroup() as group:
        for _ in range(READERS):
            group.create_task(reader())
        async with asyncio.TaskGroup() as movers:
            for plan in plans:
                movers.create_task(mover(plan))
        moving = False

    print(tally.line(f"{MOVERS} movers, {READERS} readers"))
    assert tally.operations == MOVERS * PER_MOVER >= 800
    assert tally.reads > READERS
    # The books hold, whatever failed: a failed request moved nothing.
    balances = await served_bank.check_books(ids, total)
    # What the clients were told happened is what happened: no update lost.
    assert balances == [STARTING + change for change in moved]
    assert await served_bank.entries(movements.TRANSFER) == tally.done
    errors = served_bank.server_errors()
    locked = sum("database is locked" in line for line in errors)
    assert not tally.failed, (
        f"{len(tally.failed)} of {tally.operations} transfers and {tally.reads} reads failed "
        f"({tally.failed[0]}); the server logged {len(errors)} errors, {locked} of them "
        f"'database is locked'; the slowest transfer took {tally.slowest:.1f} s"
    )
    assert errors == []


@pytest.mark.parametrize("how", ["withdraw", "transfer"])
async def test_twenty_clients_spending_the_same_last_five_yuan_let_exactly_one_through(
    served_bank: ServedBank, how: str
):
    last = Decimal("5.00")
    account = await served_bank.open(last)
    elsewhere = await served_bank.open(Decimal("0.00"), customer=1)

    async def spend(client: Client, _: int) -> list[str]:
        if how == "withdraw":
            return await client.withdraw(account, last, served_bank.key("last"))
        return (await client.transfer(account, elsewhere, last, served_bank.key("last")))[1]

    results = await race(20, spend, served_bank)

    tally = Tally(operations=len(results), done=results.count([]))
    for codes in results:
        if codes:
            tally.refusal(codes[0])
    print(tally.line(f"20 × {how} of the last 5.00"))
    assert sorted(results) == [[]] + [["INSUFFICIENT_FUNDS"]] * 19
    still_here = last if how == "transfer" else Decimal("0.00")
    assert await served_bank.check_books([account, elsewhere], still_here) == [0, still_here]
    assert served_bank.server_errors() == []


async def test_twenty_concurrent_retries_of_one_transfer_move_the_money_once(
    served_bank: ServedBank,
):
    source = await served_bank.open(Decimal("100.00"))
    target = await served_bank.open(Decimal("0.00"), customer=1)
    key = served_bank.key("retried")

    async def retry(client: Client, _: int) -> tuple[str | None, list[str]]:
        return await client.transfer(source, target, Decimal("12.34"), key)

    results = await race(20, retry, served_bank)

    transfer_ids = {transfer_id for transfer_id, _ in results}
    print(
        f"\n20 retries of one key: {len(results)} answers, "
        f"{sum(codes == [] for _, codes in results)} without errors, "
        f"{len(transfer_ids)} distinct transfer id(s)"
    )
    assert all(codes == [] for _, codes in results), results
    assert len(transfer_ids) == 1, transfer_ids
    assert None not in transfer_ids
    assert await served_bank.check_books([source, target], Decimal("100.00")) == [
        Decimal("87.66"),
        Decimal("12.34"),
    ]
    assert await served_bank.entries(movements.TRANSFER) == 1
    assert served_bank.server_errors() == []


async def test_transfers_racing_in_opposite_directions_all_complete(served_bank: ServedBank):
    a = await served_bank.open(Decimal("100.00"))
    b = await served_bank.open(Decimal("100.00"), customer=1)

    async def send(client: Client, n: int) -> tuple[str | None, list[str]]:
        source, target = (a, b) if n % 2 else (b, a)
        return await client.transfer(source, target, Decimal("1.00"), served_bank.key("race"))

    results = await race(100, send, served_bank)

    tally = Tally(operations=len(results), done=sum(codes == [] for _, codes in results))
    print(tally.line("50 A→B racing 50 B→A"))
    assert all(codes == [] and transfer_id for transfer_id, codes in results), results
    assert await served_bank.check_books([a, b], Decimal("200.00")) == [
        Decimal("100.00"),
        Decimal("100.00"),
    ]
    assert await served_bank.entries(movements.TRANSFER) == 100
    assert served_bank.server_errors() == []
