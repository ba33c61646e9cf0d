"""Crash in the middle: SIGKILL the server under the bank workload, and the
end-of-day batch half-way through its dates; restart; nothing lost, nothing twice.

    .venv/bin/python reliability/crash.py --db PATH_OR_URL [--clients 16] [--kills 10]
        [--between 1,4] [--down 0.5] [--settle 2] [--eod-days 120] [--eod-kills 3]
        [--replays 0] [--seed 10]

**A. The bank workload under crashes.** A small bank (``harness.small_bank``,
8 accounts) behind a real ``crm serve`` (``harness.Server``). ``--clients``
clients transfer 1 to 5 CNY between random pairs of the 8 accounts, each
transfer with an idempotency key of its own. Meanwhile a chaos task, from a
seeded RNG, kills the server (SIGKILL of its whole process group) every
``--between`` seconds, ``--kills`` times, and starts it again on the same port
and database after ``--down`` seconds. A client that gets no answer (a broken
or refused connection, an HTTP 5xx, a "database busy") sends the *same* request
with the *same* key again, after a short backoff, until it is answered, signing
in again if its token is refused; an answer is a committed transfer (its id) or
a business refusal. Once the kills are done the clients run ``--settle``
seconds more and stop. Then, in the database itself:

- every transfer a client saw committed is in the ledger, once: its key points
  at the journal entry the client was given, that entry moves what was asked
  between the accounts asked;
- no journal entry is pointed at by two keys, and no transfer entry of the run
  is pointed at by none (a transfer posted twice would be one);
- nothing was committed that no client was answered for: a key with an entry
  was answered "committed", a refused key has none;
- replaying the committed requests (``--replays`` of them, 0: all) with their
  keys answers the same transfer ids and posts nothing new: clients retrying
  converge;
- the ledger's invariants (``harness.invariants``) hold, and the 8 accounts
  still hold their total.

It counts the kills, the requests in flight at each kill and how long the
server took to come back, the retries by what was seen instead of an answer,
the answers by kind, the sign-ins.

**B. End of day under crashes.** Two identical banks (16 accounts, the same
seed), both opened on the business date ``--eod-days / 2`` days before the
next interest settlement day (the 20th of a quarter's last month), so that the
dates closed include one whatever today is. On the reference, one
uninterrupted ``crm eod --until`` closes ``--eod-days`` dates. On the other,
while a server serves transfers between 8 of its accounts ("busy") from
``--clients`` clients that retry as in A, the same batch is started and
SIGKILLed ``--eod-kills`` times at a random moment (after a random number of
dates, a random few milliseconds into the next one), then run again to
completion; a batch that closes no date for a minute counts as stalled.
Then, against the reference:

- the same dates are closed (``kernel_end_of_day``), each once, every step of
  the batch reported for each, and the same date is open;
- the accounts no transfer touched hold exactly the reference's balance and
  accrued interest (``Account.accrual``): a date accrued twice or not at all
  would show;
- the busy accounts were paid the same interest as the reference's within a
  fen per account (each account's rounding), hold their starting total plus
  that interest, and together accrued exactly what the reference's did, but
  for that rounding difference accruing since the settlement (an accrual is
  linear in the closing balance, and transfers among them keep their total);
- each account was paid interest at most once per date, on the same dates as
  in the reference; the non-transfer journal entries per date and kind, and
  the loan book rows per date, are the reference's;
- the ledger's invariants hold, and the transfers pass A's checks.

The end-of-day ``DISPATCH`` steps (sending what a day queued) run after the
date is committed, outside its transaction; a kill between the two leaves that
date's report without their line, and their work to the next date's dispatch.
Their lines are not compared.

What it found: on PostgreSQL the batch never closed a date while transfers kept
coming (each new transfer's share lock on the calendar row went past the
batch's waiting exclusive one); ``core.business_day`` now has the batch lock
the table first, and ``tests/core/test_business_day.py`` keeps it so.

``run()`` returns the figures; ``main()`` prints them and keeps them in
``reliability/results/crash-<database>.json``. On PostgreSQL the two banks of
B are databases beside ``--db``'s (``<name>_eod``, ``<name>_eod_reference``),
dropped at the end; on SQLite, files beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness
import httpx
from server import server_environment
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.business_day import hold_business_date, move_business_date, open_business_date
from core.db import Mode
from core.end_of_day import Phase, steps_of
from core.runtime import Runtime
from core.settings import load_settings
from plugins.finance.dates import is_interest_settlement_day
from plugins.finance.models import IdempotencyKey
from plugins.finance.movements import TRANSFER

COMMITTED = "committed"
RETRYABLE = frozenset({"DATABASE_BUSY", "DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"})
"""Top-level error codes that are no answer: the request may be sent again as it is."""
UNAUTHENTICATED = "UNAUTHENTICATED"
BACKOFF = (0.05, 1.0)
"""A retry's first and longest wait, in seconds (doubling, with jitter)."""
GIVE_UP_AFTER = 120.0
"""Seconds without an answer after which a request counts as unanswered."""
RESTART_TIMEOUT = 60.0
STALLED_AFTER = 60.0
"""Seconds without a date closed after which the end-of-day batch is stuck."""
TIMEOUT = httpx.Timeout(60.0)
WORKLOAD_ACCOUNTS = 8


# ---------------------------------------------------------------- the clients


@dataclass
class Ask:
    """One transfer a client asked for, with its own idempotency key, and the
    answer it got in the end: ``COMMITTED`` (``entry``) or a refusal's code."""

    key: str
    source: int
    target: int
    amount: int
    answer: str | None = None
    entry: int | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    """When the attempt that was answered was sent."""

    def body(self) -> dict[str, Any]:
        return harness.transfer_body(
            harness.global_id("Account", self.source),
            harness.global_id("Account", self.target),
            self.amount,
            self.key,
        )


@dataclass
class Tally:
    """What the clients saw."""

    asks: list[Ask] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    """Attempts that got no answer, by what came back instead."""
    unexpected: Counter[str] = field(default_factory=Counter)
    """Top-level error codes that are neither retryable nor a refused token."""
    sign_ins: int = 0
    in_flight: int = 0
    kills: list[dict[str, Any]] = field(default_factory=list)

    def answers(self) -> dict[str, int]:
        return dict(Counter(ask.answer or "unanswered" for ask in self.asks))

    def figures(self) -> dict[str, Any]:
        return {
            "transfers asked": len(self.asks),
            "answers by kind": self.answers(),
            "attempts": sum(ask.attempts for ask in self.asks),
            "retries by what came back": dict(self.retries.most_common()),
            "transfers retried": sum(ask.attempts > 1 for ask in self.asks),
            "most attempts of one transfer": max((ask.attempts for ask in self.asks), default=0),
            "sign-ins": self.sign_ins,
            "unexpected errors": dict(self.unexpected),
        }


def _wait(attempt: int, rng: random.Random) -> float:
    first, longest = BACKOFF
    return min(first * 2**attempt, longest) * rng.uniform(0.5, 1.0)


async def signed_in(http: httpx.AsyncClient, tally: Tally, rng: random.Random) -> dict[str, str]:
    """A token, however many tries it takes while the server is down."""
    for attempt in itertools.count():
        try:
            headers = await harness.sign_in(http)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            tally.retries[f"sign-in: {type(error).__name__}"] += 1
            await asyncio.sleep(_wait(min(attempt, 10), rng))
            continue
        tally.sign_ins += 1
        return headers
    raise AssertionError("itertools.count() never ends")


@dataclass
class Client:
    """One client: its connection pool, token and RNG."""

    http: httpx.AsyncClient
    rng: random.Random
    tally: Tally
    headers: dict[str, str] = field(default_factory=dict)

    async def attempt(self, ask: Ask) -> str | None:
        """Send ``ask`` once; None if answered (``ask`` then holds the answer),
        else what came back instead."""
        ask.attempts += 1
        ask.sent_at = datetime.now(UTC)
        self.tally.in_flight += 1
        try:
            response = await self.http.post("/graphql", json=ask.body(), headers=self.headers)
        except httpx.TransportError as error:
            return type(error).__name__
        finally:
            self.tally.in_flight -= 1
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}, not JSON"
        if body.get("errors"):
            code = (body["errors"][0].get("extensions") or {}).get("code", "no code")
            if code == UNAUTHENTICATED:
                self.headers = await signed_in(self.http, self.tally, self.rng)
            elif code not in RETRYABLE:
                self.tally.unexpected[code] += 1
            return f"HTTP {response.status_code} {code}"
        if response.status_code != 200 or not body.get("data"):
            return f"HTTP {response.status_code}"
        payload = body["data"]["transfer"]
        if payload["errors"]:
            ask.answer = payload["errors"][0]["code"]
        else:
            ask.answer, ask.entry = COMMITTED, harness.entry_of(payload["transfer"]["id"])
        return None

    async def until_answered(self, ask: Ask) -> None:
        """Send ``ask`` again, same key, until it is answered (or GIVE_UP_AFTER)."""
        deadline = time.monotonic() + GIVE_UP_AFTER
        while (instead := await self.attempt(ask)) is not None:
            self.tally.retries[instead] += 1
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(_wait(min(ask.attempts, 10), self.rng))

    async def transfer_until(self, stop: asyncio.Event, accounts: list[int], prefix: str) -> None:
        """Transfers of 1 to 5 between random pairs of ``accounts`` until ``stop``;
        the one under way when it is set is still seen through to its answer."""
        self.headers = await signed_in(self.http, self.tally, self.rng)
        while not stop.is_set():
            source, target = self.rng.sample(accounts, 2)
            ask = Ask(f"{prefix}-{len(self.tally.asks)}", source, target, self.rng.randint(1, 5))
            self.tally.asks.append(ask)
            await self.until_answered(ask)


@asynccontextmanager
async def clients_transferring(
    base: str, accounts: list[int], clients: int, rng: random.Random, tally: Tally
) -> Any:
    """``clients`` clients transferring between ``accounts`` while the block runs;
    on leaving it they stop, each once its last transfer is answered."""
    prefix = f"crash-{secrets.token_hex(4)}"
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as http:
        stop = asyncio.Event()
        running = [
            asyncio.create_task(
                Client(http, random.Random(rng.random()), tally).transfer_until(  # noqa: S311
                    stop, accounts, f"{prefix}-{i}"
                )
            )
            for i in range(clients)
        ]
        try:
            yield http
        finally:
            stop.set()
            await asyncio.gather(*running)


async def replay_committed(
    base: str, tally: Tally, replays: int, rng: random.Random
) -> tuple[int, list[Ask]]:
    """Send ``replays`` of the committed transfers (0: all) again with their keys:
    how many were sent, and those answered other than with the same transfer."""
    committed = [ask for ask in tally.asks if ask.answer == COMMITTED]
    sample = rng.sample(committed, min(replays, len(committed))) if replays else committed
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as http:
        client = Client(http, rng, tally)
        client.headers = await signed_in(http, tally, rng)
        differing = []
        for ask in sample:
            again = Ask(ask.key, ask.source, ask.target, ask.amount)
            await client.until_answered(again)
            if (again.answer, again.entry) != (COMMITTED, ask.entry):
                differing.append(again)
    return len(sample), differing


# ---------------------------------------------------------------- the ledger


KEYS = select(IdempotencyKey.key, IdempotencyKey.entry_id, IdempotencyKey.created_at).where(
    IdempotencyKey.key.like("crash-%")  # type: ignore[attr-defined]
)
RUN_TRANSFERS = text(
    "SELECT e.id, p.account_id, p.amount FROM finance_journal_entry e"
    " LEFT JOIN finance_posting p ON p.entry_id = e.id"
    " WHERE e.id > :mark AND e.kind = :kind ORDER BY e.id, p.id"
).bindparams(kind=TRANSFER)


@asynccontextmanager
async def connected(url: str) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def transfers_kept(url: str, asks: list[Ask], mark: int) -> tuple[int, dict[str, int]]:
    """What the ledger holds against what the clients were answered: how many
    transfers were committed by an attempt whose answer was lost (a retry then
    got it), and each anomaly with how many times it was found (all should be zero)."""
    async with connected(url) as connection:
        claims = list(await connection.execute(KEYS))
        keys = {row.key: row.entry_id for row in claims}
        moves: dict[int, list[tuple[int, int]]] = {}
        for row in await connection.execute(RUN_TRANSFERS, {"mark": mark}):
            lines = moves.setdefault(row.id, [])
            if row.account_id is not None:
                lines.append((row.account_id, int(row.amount)))
    asked = {ask.key: ask for ask in asks}
    pointed = Counter(entry for entry in keys.values() if entry is not None)

    def moved_as_asked(ask: Ask) -> bool:
        fen = ask.amount * 100
        return sorted(moves.get(ask.entry or 0, [])) == sorted(
            [(ask.source, -fen), (ask.target, fen)]
        )

    committed = [ask for ask in asks if ask.answer == COMMITTED]
    lost = sum(
        row.key in asked and row.created_at < asked[row.key].sent_at  # type: ignore[operator]
        for row in claims
        if row.entry_id is not None
    )
    return lost, {
        "committed transfers missing from the ledger": sum(
            keys.get(ask.key) != ask.entry or ask.entry not in moves for ask in committed
        ),
        "committed transfers moving other than what was asked": sum(
            not moved_as_asked(ask) for ask in committed if ask.entry in moves
        ),
        "journal entries pointed at by more than one key": sum(n > 1 for n in pointed.values()),
        "transfer entries of the run no key points at": sum(
            entry not in pointed for entry in moves
        ),
        "keys with an entry whose client was not answered committed": sum(
            entry is not None and (key not in asked or asked[key].answer != COMMITTED)
            for key, entry in keys.items()
        ),
        "refused transfers with an entry": sum(
            keys.get(ask.key) is not None for ask in asks if ask.answer not in (None, COMMITTED)
        ),
        "keys claimed without an entry": sum(entry is None for entry in keys.values()),
        "transfers never answered": sum(ask.answer is None for ask in asks),
    }


def kept(checks: dict[str, dict[str, Any]]) -> bool:
    return all(check["kept"] for check in checks.values())


def expect(**found: tuple[Any, Any]) -> dict[str, dict[str, Any]]:
    """Checks in ``harness.invariants``'s shape, from (expected, found) pairs."""
    return {
        name.replace("_", " "): {
            "expected": str(expected),
            "found": str(found),
            "kept": expected == found,
        }
        for name, (expected, found) in found.items()
    }


# ---------------------------------------------------------------- A: the server killed


async def chaos(
    server: harness.Server,
    kills: int,
    between: tuple[float, float],
    down: float,
    rng: random.Random,
    tally: Tally,
) -> None:
    """Kill the server ``kills`` times at random moments and start it again;
    raise if it does not come back."""
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(*between))
        in_flight = tally.in_flight
        await server.kill()
        await asyncio.sleep(down)
        started = time.monotonic()
        try:
            await asyncio.wait_for(server.start(), RESTART_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"the server did not come back; see {server.log}") from None
        tally.kills.append(
            {"in flight": in_flight, "back after s": round(time.monotonic() - started, 2)}
        )


async def bank_under_crashes(
    target: str,
    log: Path,
    *,
    clients: int,
    kills: int,
    between: tuple[float, float],
    down: float,
    settle: float,
    replays: int,
    rng: random.Random,
) -> dict[str, Any]:
    the_bank = await harness.small_bank(target, accounts=WORKLOAD_ACCOUNTS)
    mark = await harness.last_entry(the_bank.url)
    server = harness.Server(the_bank.url, log, workers=harness.workers_for(the_bank.url))
    tally = Tally()
    started = time.monotonic()
    await server.start()
    try:
        async with clients_transferring(server.base, the_bank.accounts, clients, rng, tally):
            await chaos(server, kills, between, down, rng, tally)
            await asyncio.sleep(settle)
        seconds = time.monotonic() - started
        entries_before = await harness.last_entry(the_bank.url)
        replayed, replayed_otherwise = await replay_committed(server.base, tally, replays, rng)
        posted_by_replays = await harness.last_entry(the_bank.url) - entries_before
    finally:
        await server.stop()
    lost, kept_or_not = await transfers_kept(the_bank.url, tally.asks, mark)
    anomalies = {
        **kept_or_not,
        "replays answered other than the transfer first committed": len(replayed_otherwise),
        "entries posted by the replays": posted_by_replays,
        "unexpected errors": sum(tally.unexpected.values()),
    }
    said = server.said()
    return {
        "seconds": round(seconds, 1),
        "clients": clients,
        "kills": len(tally.kills),
        "requests in flight at each kill": [kill["in flight"] for kill in tally.kills],
        "server back after (s)": [kill["back after s"] for kill in tally.kills],
        **tally.figures(),
        "committed by an attempt whose answer was lost, answered by a retry": lost,
        "replayed": replayed,
        "tracebacks in the server's log": said.count("Traceback"),
        "anomalies": anomalies,
        "invariants": await harness.invariants(the_bank),
    }


# ---------------------------------------------------------------- B: the end of day killed


def sibling(target: str, suffix: str) -> str:
    """Another bank beside ``target``: a file beside a SQLite path, a database
    beside a PostgreSQL one."""
    if "://" not in target:
        path = Path(target)
        return str(path.with_name(f"{path.stem}{suffix.replace('_', '-')}{path.suffix}"))
    url = make_url(target)
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    await admin.dispose()


def first_date(today: date, days: int) -> date:
    """The business date the batch starts from: ``days // 2`` before the next
    interest settlement day (or today, if that is later), so that ``days`` dates
    closed from it include one, whatever today is."""
    settlement = next(
        today + timedelta(days=d)
        for d in range(1, 200)
        if is_interest_settlement_day(today + timedelta(days=d))
    )
    return max(today, settlement - timedelta(days=days // 2))


async def open_business_date_on(url: str, day: date) -> None:
    """Open ``day`` as the bank's business date, as if the bank opened then."""
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await hold_business_date(session, runtime.settings, exclusive=True)
            await move_business_date(session, day)
    finally:
        await runtime.close()


async def open_date(url: str) -> date:
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            return await open_business_date(session, runtime.settings)
    finally:
        await runtime.close()


async def start_end_of_day(url: str, until: date, log: Path) -> asyncio.subprocess.Process:
    """``crm eod --until`` in a process group of its own."""
    crm = Path(sys.executable).with_name("crm")
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            str(crm),
            "eod",
            "--until",
            until.isoformat(),
            env=server_environment(url),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )


CLOSED_COUNT = text("SELECT count(*) FROM kernel_end_of_day")


async def closed_dates(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(CLOSED_COUNT))


class Stalled(Exception):
    """The batch closed no date for ``STALLED_AFTER`` seconds: it is stuck."""


async def watch_end_of_day(
    process: asyncio.subprocess.Process, engine: AsyncEngine, aim: int | None = None
) -> None:
    """Return once the batch has ended, or closed ``aim`` dates in all; kill it
    and raise :class:`Stalled` if it closes none for ``STALLED_AFTER`` seconds."""
    closed, progressed_at = await closed_dates(engine), time.monotonic()
    while process.returncode is None and (aim is None or closed < aim):
        await asyncio.sleep(0.005)
        if (now_closed := await closed_dates(engine)) > closed:
            closed, progressed_at = now_closed, time.monotonic()
        elif time.monotonic() - progressed_at > STALLED_AFTER:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise Stalled(f"no date closed in {STALLED_AFTER} s, at {closed} closed")


async def end_of_day_to_completion(url: str, until: date, log: Path) -> float:
    """Run the batch until ``until`` is open; its seconds."""
    engine = create_async_engine(url)
    started = time.monotonic()
    try:
        process = await start_end_of_day(url, until, log)
        await watch_end_of_day(process, engine)
    finally:
        await engine.dispose()
    if await process.wait() != 0:
        raise RuntimeError(f"crm eod failed; see {log}")
    return time.monotonic() - started


async def end_of_day_killed(url: str, until: date, log: Path, rng: random.Random) -> dict[str, Any]:
    """Start the batch and SIGKILL it after a random number of dates and a few
    milliseconds more; what it had closed before and at the kill."""
    engine = create_async_engine(url)
    try:
        before = await closed_dates(engine)
        remaining = (until - await open_date(url)).days
        aim = before + rng.randint(1, max(1, remaining - 1))
        process = await start_end_of_day(url, until, log)
        await watch_end_of_day(process, engine, aim)
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        landed = process.returncode is None
        if landed:
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        return {
            "dates closed before": before,
            "killed after": await closed_dates(engine) if landed else None,
            "landed": landed,
        }
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Books:
    """What the end of day left in one bank, in comparable form (money in fen)."""

    closings: dict[str, set[str]]
    open_date: str
    accounts: dict[int, tuple[int, int]]
    interest: dict[tuple[int, str], tuple[int, int]]
    entries: dict[tuple[str, str], int]
    loan_book: dict[str, int]

    def accrued(self, accounts: list[int]) -> int:
        return sum(self.accounts[account][1] for account in accounts)

    def dates_closed_since_interest(self) -> int:
        """Dates closed after the last one that paid interest (all, if none did)."""
        paid = max((day for _, day in self.interest), default="")
        return sum(day > paid for day in self.closings)

    def interest_paid(self, accounts: list[int]) -> int:
        return sum(paid for (account, _), (_, paid) in self.interest.items() if account in accounts)


async def books(url: str, dispatch: set[str]) -> Books:
    async def rows(connection: AsyncConnection, sql: str) -> list[Any]:
        return list(await connection.execute(text(sql), {"transfer": TRANSFER}))

    async with connected(url) as connection:
        closings = {
            str(row.business_date): set(json.loads(row.report)) - dispatch
            for row in await rows(connection, "SELECT business_date, report FROM kernel_end_of_day")
        }
        opened = await connection.scalar(text("SELECT open_date FROM kernel_business_day"))
        accounts = {
            row.id: (int(row.balance), int(row.accrual))
            for row in await rows(
                connection,
                "SELECT id, balance, accrual FROM finance_account WHERE customer_id IS NOT NULL",
            )
        }
        interest = {
            (row.account_id, str(row.value_date)): (int(row.n), int(row.paid))
            for row in await rows(
                connection,
                "SELECT account_id, value_date, count(*) AS n, sum(amount) AS paid"
                " FROM finance_posting WHERE kind = 'INTEREST' GROUP BY account_id, value_date",
            )
        }
        entries = {
            (str(row.value_date), row.kind): int(row.n)
            for row in await rows(
                connection,
                "SELECT value_date, kind, count(*) AS n FROM finance_journal_entry"
                " WHERE kind != :transfer GROUP BY value_date, kind",
            )
        }
        loan_book = {
            str(row.business_date): int(row.n)
            for row in await rows(
                connection,
                "SELECT business_date, count(*) AS n FROM finance_loan_book_day"
                " GROUP BY business_date",
            )
        }
    return Books(closings, str(opened), accounts, interest, entries, loan_book)


def differing(wanted: dict[Any, Any], found: dict[Any, Any]) -> int:
    """How many keys the two do not hold alike."""
    return sum(wanted.get(key) != found.get(key) for key in wanted.keys() | found.keys())


async def single_rate(url: str, accounts: list[int]) -> int:
    """The one annual rate ``accounts`` share, in its stored units."""
    query = text("SELECT DISTINCT annual_rate FROM finance_account WHERE id IN :ids")
    async with connected(url) as connection:
        rates = list(
            await connection.scalars(
                query.bindparams(bindparam("ids", expanding=True)), {"ids": accounts}
            )
        )
    assert len(rates) == 1, f"the busy accounts have rates {rates}"
    return int(rates[0])


async def total_of(url: str, accounts: list[int]) -> int:
    query = text("SELECT coalesce(sum(balance), 0) FROM finance_account WHERE id IN :ids")
    async with connected(url) as connection:
        return int(
            await connection.scalar(
                query.bindparams(bindparam("ids", expanding=True)), {"ids": accounts}
            )
        )


async def end_of_day_under_crashes(
    target: str,
    log: Path,
    *,
    days: int,
    eod_kills: int,
    clients: int,
    replays: int,
    rng: random.Random,
) -> dict[str, Any]:
    crashed_target, reference_target = sibling(target, "_eod"), sibling(target, "_eod_reference")
    try:
        crashed = await harness.small_bank(crashed_target, accounts=2 * WORKLOAD_ACCOUNTS)
        reference = await harness.small_bank(reference_target, accounts=2 * WORKLOAD_ACCOUNTS)
        busy = crashed.accounts[WORKLOAD_ACCOUNTS:]
        opened = first_date(await open_date(crashed.url), days)
        until = opened + timedelta(days=days)
        for bank in (crashed, reference):
            await open_business_date_on(bank.url, opened)
        reference_seconds = await end_of_day_to_completion(reference.url, until, log)
        busy_total = await total_of(crashed.url, busy)
        mark = await harness.last_entry(crashed.url)
        tally = Tally()
        runs = []
        stalled = None
        server = harness.Server(crashed.url, log, workers=harness.workers_for(crashed.url))
        await server.start()
        try:
            async with clients_transferring(server.base, busy, clients, rng, tally):
                try:
                    for _ in range(eod_kills):
                        runs.append(await end_of_day_killed(crashed.url, until, log, rng))
                    rerun_seconds = await end_of_day_to_completion(crashed.url, until, log)
                except Stalled as stuck:
                    stalled, rerun_seconds = str(stuck), float("nan")
            _, replayed_otherwise = await replay_committed(server.base, tally, replays, rng)
        finally:
            await server.stop()
        dispatch = await dispatch_names(crashed.url)
        found, wanted = await books(crashed.url, dispatch), await books(reference.url, dispatch)
        quiet = sorted(set(wanted.accounts) - set(busy))
        busy_interest = found.interest_paid(busy)
        the_bank = harness.SmallBank(
            crashed.url, quiet, Decimal(sum(wanted.accounts[a][0] for a in quiet)) / 100
        )
        checks = expect(
            dates_closed=(len(wanted.closings), len(found.closings)),
            dates_closed_or_reported_differently=(
                0,
                differing(wanted.closings, found.closings),
            ),
            open_business_date=(wanted.open_date, found.open_date),
            untouched_accounts_differing_in_balance_or_accrual=(
                0,
                sum(found.accounts[a] != wanted.accounts[a] for a in quiet),
            ),
            busy_accounts_accrual=(
                wanted.accrued(busy)
                + (busy_interest - wanted.interest_paid(busy))
                * await single_rate(crashed.url, busy)
                * wanted.dates_closed_since_interest(),
                found.accrued(busy),
            ),
            busy_accounts_interest_within_a_fen_each=(
                True,
                abs(busy_interest - wanted.interest_paid(busy)) <= len(busy),
            ),
            busy_accounts_total=(
                busy_total + busy_interest,
                await total_of(crashed.url, busy),
            ),
            accounts_paid_interest_twice_on_a_date=(
                0,
                sum(n > 1 for n, _ in found.interest.values()),
            ),
            interest_payments_on_other_accounts_or_dates=(
                0,
                len(set(wanted.interest) ^ set(found.interest)),
            ),
            dates_and_kinds_with_other_entries=(0, differing(wanted.entries, found.entries)),
            dates_with_other_loan_book_rows=(0, differing(wanted.loan_book, found.loan_book)),
        )
        _, kept_or_not = await transfers_kept(crashed.url, tally.asks, mark)
        anomalies = {
            **kept_or_not,
            "replays answered other than the transfer first committed": len(replayed_otherwise),
            "unexpected errors": sum(tally.unexpected.values()),
            "end-of-day runs stalled under transfers": int(stalled is not None),
            "end-of-day checks not kept": sum(not check["kept"] for check in checks.values()),
        }
        return {
            "dates": f"{opened} to {until - timedelta(days=1)}",
            "dates closed": len(found.closings),
            "uninterrupted run (s)": round(reference_seconds, 1),
            "killed runs": runs,
            "kills that landed": sum(run["landed"] for run in runs),
            "final run (s)": round(rerun_seconds, 1),
            "stalled": stalled,
            "transfers meanwhile": tally.figures(),
            "checks against the uninterrupted run": checks,
            "anomalies": anomalies,
            "invariants": await harness.invariants(the_bank),
        }
    finally:
        for sibling_target in (crashed_target, reference_target):
            await drop_database(harness.bank.database_url(sibling_target))


async def dispatch_names(url: str) -> set[str]:
    """The DISPATCH steps' names: their lines are not in a closing's transaction."""
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        return {step.name for step in steps_of(runtime) if step.phase is Phase.DISPATCH}
    finally:
        await runtime.close()


# ---------------------------------------------------------------- run, main


async def run(
    target: str,
    *,
    clients: int = 16,
    kills: int = 10,
    between: tuple[float, float] = (1.0, 4.0),
    down: float = 0.5,
    settle: float = 2.0,
    eod_days: int = 120,
    eod_kills: int = 3,
    replays: int = 0,
    seed: int = 10,
    logs: Path | None = None,
) -> dict[str, Any]:
    """Both parts on banks at ``target`` (and beside it); the figures, with
    ``anomalies`` (all zero when nothing was lost or doubled) and ``invariants``."""
    rng = random.Random(seed)  # noqa: S311
    logs = logs or Path(tempfile.mkdtemp(prefix="crash-"))
    workload = await bank_under_crashes(
        target,
        logs / "server.log",
        clients=clients,
        kills=kills,
        between=between,
        down=down,
        settle=settle,
        replays=replays,
        rng=rng,
    )
    end_of_day = await end_of_day_under_crashes(
        target,
        logs / "end-of-day.log",
        days=eod_days,
        eod_kills=eod_kills,
        clients=clients,
        replays=replays,
        rng=rng,
    )
    return {
        "seed": seed,
        "logs": str(logs),
        "bank workload under crashes": workload,
        "end of day under crashes": end_of_day,
        "anomalies": {
            f"{part}: {name}": count
            for part, figures in (("workload", workload), ("end of day", end_of_day))
            for name, count in figures["anomalies"].items()
        },
        "invariants": {
            f"{part}: {name}": check
            for part, figures in (("workload", workload), ("end of day", end_of_day))
            for name, check in figures["invariants"].items()
        },
    }


def seconds_range(text_: str) -> tuple[float, float]:
    low, _, high = text_.partition(",")
    return float(low), float(high or low)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a SQLite path or a PostgreSQL URL")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--between", type=seconds_range, default=(1.0, 4.0), help="LOW,HIGH s")
    parser.add_argument("--down", type=float, default=0.5, help="seconds the server stays down")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--eod-days", type=int, default=120)
    parser.add_argument("--eod-kills", type=int, default=3)
    parser.add_argument("--replays", type=int, default=0, help="0: replay every committed one")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args(argv)
    figures = asyncio.run(
        run(
            args.db,
            clients=args.clients,
            kills=args.kills,
            between=args.between,
            down=args.down,
            settle=args.settle,
            eod_days=args.eod_days,
            eod_kills=args.eod_kills,
            replays=args.replays,
            seed=args.seed,
        )
    )
    harness.report("crash", harness.bank.database_url(args.db), figures)
    failed = any(figures["anomalies"].values()) or not kept(figures["invariants"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
