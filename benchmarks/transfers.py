"""Money movement: concurrent transfers over HTTP against pgbench's TPC-B-like floor.

    .venv/bin/python benchmarks/transfers.py [--customers 1000] [--db PATH_OR_URL [--reuse]]
        [--clients 1,8,32] [--seconds 20] [--pool 100] [--workers N] [--profile]

Builds a bank with ``benchmarks/bank.py`` (or reuses one with ``--reuse``),
starts ``crm serve`` with ``--workers`` processes (on PostgreSQL one per core;
always 1 on SQLite: a SQLite write waits for its turn in a first-come,
first-served queue that lives in the process, ``core.db.SerializedSession``,
and between processes only SQLite's busy timeout, which is no queue, would
order them) and, for each number of clients, runs that many HTTP clients at
once for ``--seconds`` (aiohttp's, in this one process: the load generator
shares the two cores with the server and the database, and httpx's client
cost four to ten times the processor per request, more the more clients).
Each client signs in as the head-office ``admin`` with a token of its own and
transfers 0.01 to 10.00 CNY between two random accounts of a pool of
``--pool`` customer accounts (small: contended), with a fresh idempotency key
each time. It counts:

- transfers per second (committed transfers over the level's wall time),
  median and 95th percentile latency of the committed ones;
- business refusals (a payload error such as ``INSUFFICIENT_FUNDS``) apart
  from failures (an HTTP error, a GraphQL error such as ``DATABASE_BUSY``, a
  broken connection), and every "database is locked" a client or the
  server's log saw;

and after each level checks the ledger in the database itself: every account's
balance is the sum of its postings and its last posting's ``balance_after``;
every posting of the pool follows the one before it (no lost update); every
journal entry sums to zero; the pool's total is unchanged and no balance is
negative; the new transfer entries, the idempotency keys that point at them
and the audit records of successful transfers each number exactly the
committed transfers, and the audit log holds one record per answered request.

The floor, on the same PostgreSQL server right after each level: ``pgbench``'s
built-in ``tpcb-like`` script with the same number of clients (``-j 2``) for
the same time, on its own database ``crm_bench_pgbench`` (``pgbench -i``,
scale ``--scale``, 1 by default: one branch row that every transaction
updates, as every mutation of the CRM appends to the one audit chain). The
ratio is the CRM's transfers per second over pgbench's transactions per
second.

Beside it, right after each level's transfers, the same clients ask the
lightest signed-in question, ``{ me { username } }``, for the same time: the
rate the same server answers requests at before any money moves (the token
checked, one transaction, GraphQL over HTTP), so that the table shows how much
of the distance to pgbench is the stack and how much the transfer.

Before the levels, a few transfers in-process (through the Starlette app over
httpx's ASGI transport) count the SQL statements of one transfer; ``--profile``
also profiles ``--profile-transfers`` of them with pyinstrument (not a
dependency: ``pip install pyinstrument``) into
``benchmarks/results/transfers-<database>-profile.txt``.

It prints a table and writes ``benchmarks/results/transfers-<database>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import os
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import bank
import httpx
import orjson
from cpu import CpuMeter
from customer360 import package_of
from figures import RESULTS, write_figures
from ledger_checks import BROKEN_RUNS_AMONG, LAST_BALANCE_DRIFTS, NEGATIVE
from server import SECRET, UNLIMITED, served, sign_in
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from statements import StatementCounter
from timing import summary

from core.app import create_app
from core.db import Mode
from core.runtime import Runtime
from core.settings import load_settings
from plugins.finance.ledger import check_ledger

PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"
PGBENCH_URL = "postgresql://postgres@127.0.0.1:5432/crm_bench_pgbench"
TIMEOUT = httpx.Timeout(120.0)
ONE_AT_A_TIME = 50
"""Transfers timed in-process, one after another."""
LOCKED = "database is locked"
TRANSFER = """
mutation($input: TransferInput!) {
  transfer(input: $input) { transfer { id } errors { code } }
}
"""
LIGHTEST = {"query": "{ me { username } }"}
"""The lightest question a signed-in client can ask."""


def global_id(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def uptime() -> str:
    """The machine's load averages (1, 5, 15 minutes), as ``uptime`` prints them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- the clients


@dataclass
class Tally:
    """What the clients of one level saw."""

    latencies_ms: list[float] = field(default_factory=list)
    entries: set[str] = field(default_factory=set)
    refusals: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    locked: int = 0

    @property
    def committed(self) -> int:
        return len(self.latencies_ms)

    @property
    def answered(self) -> int:
        """Requests the server answered with a payload: committed or refused."""
        return self.committed + sum(self.refusals.values())


def transfer_body(rng: random.Random, pool: list[int]) -> dict[str, Any]:
    source, target = rng.sample(pool, 2)
    fen = rng.randint(1, 1000)
    return {
        "query": TRANSFER,
        "variables": {
            "input": {
                "fromAccountId": global_id("Account", source),
                "toAccountId": global_id("Account", target),
                "amount": f"{fen // 100}.{fen % 100:02d}",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    }


def tally_answer(tally: Tally, status: int, answer: bytes, elapsed_ms: float) -> None:
    if LOCKED.encode() in answer:
        tally.locked += 1
    if status != 200:
        tally.failures[f"HTTP {status}"] += 1
        return
    body = orjson.loads(answer)
    if body.get("errors"):
        error = body["errors"][0]
        tally.failures[(error.get("extensions") or {}).get("code") or error["message"][:60]] += 1
        return
    payload = body["data"]["transfer"]
    if payload["errors"]:
        tally.refusals[payload["errors"][0]["code"]] += 1
        return
    tally.latencies_ms.append(elapsed_ms)
    tally.entries.add(payload["transfer"]["id"])


async def each_client_for(
    clients: int, seconds: float, ask: Callable[[int], Awaitable[None]]
) -> float:
    """``clients`` clients at once, client ``i`` awaiting ``ask(i)`` again and
    again for ``seconds``; the wall time it took."""
    started = time.perf_counter()
    until = started + seconds

    async def keep_asking(i: int) -> None:
        while time.perf_counter() < until:
            await ask(i)

    await asyncio.gather(*(keep_asking(i) for i in range(clients)))
    return time.perf_counter() - started


async def transfer_once(
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    rng: random.Random,
    pool: list[int],
    tally: Tally,
) -> None:
    """One transfer, and what came of it in ``tally``."""
    body = transfer_body(rng, pool)
    started = time.perf_counter()
    try:
        async with http.post("/graphql", json=body, headers=headers) as response:
            answer = await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        tally.failures[type(error).__name__] += 1
        return
    tally_answer(tally, response.status, answer, (time.perf_counter() - started) * 1000)


async def run_level(
    http: aiohttp.ClientSession,
    tokens: list[dict[str, str]],
    pool: list[int],
    clients: int,
    seconds: float,
    seed: int,
) -> tuple[Tally, float]:
    """``clients`` clients transferring for ``seconds``; what they saw and the
    wall time it took."""
    tally = Tally()
    rngs = [random.Random(seed * 1000 + i) for i in range(clients)]  # noqa: S311
    wall = await each_client_for(
        clients, seconds, lambda i: transfer_once(http, tokens[i], rngs[i], pool, tally)
    )
    return tally, wall


async def lightest_per_second(
    http: aiohttp.ClientSession, tokens: list[dict[str, str]], clients: int, seconds: float
) -> float:
    """``clients`` clients asking :data:`LIGHTEST` for ``seconds``: answers per second."""
    answered = 0

    async def ask(i: int) -> None:
        nonlocal answered
        async with http.post("/graphql", json=LIGHTEST, headers=tokens[i]) as response:
            answer = await response.read()
        answered += response.status == 200 and b'"errors"' not in answer

    wall = await each_client_for(clients, seconds, ask)
    return answered / wall


# ---------------------------------------------------------------- the invariants


POOL_TOTAL = text(
    "SELECT coalesce(sum(balance), 0) FROM finance_account WHERE id IN :pool"
).bindparams(bindparam("pool", expanding=True))
MARKS = text(
    "SELECT (SELECT coalesce(max(id), 0) FROM finance_journal_entry),"
    " (SELECT coalesce(max(seq), 0) FROM security_audit_record)"
)
NEW_TRANSFERS = text(
    "SELECT count(*), coalesce(sum(CASE WHEN n = 2 THEN 0 ELSE 1 END), 0) FROM"
    " (SELECT e.id, (SELECT count(*) FROM finance_posting p WHERE p.entry_id = e.id) AS n"
    "  FROM finance_journal_entry e WHERE e.id > :entry AND e.kind = 'TRANSFER') x"
)
NEW_KEYS = text("SELECT count(*) FROM finance_idempotency_key WHERE entry_id > :entry")
NEW_AUDIT = text(
    "SELECT count(*), coalesce(sum(CASE WHEN outcome = 'OK' THEN 1 ELSE 0 END), 0)"
    " FROM security_audit_record WHERE seq > :seq AND operation = 'transfer'"
)


@dataclass(frozen=True)
class Before:
    """Where the ledger and the audit log stood before a level."""

    entry: int
    seq: int
    pool_total: int


async def before(engine: AsyncEngine, pool: list[int]) -> Before:
    async with engine.connect() as connection:
        entry, seq = (await connection.execute(MARKS)).one()
        total = await connection.scalar(POOL_TOTAL, {"pool": pool})
    return Before(entry, seq, int(total))


async def invariants(
    runtime: Runtime, pool: list[int], was: Before, tally: Tally
) -> dict[str, Any]:
    """Each invariant with what it should be and what was found."""
    async with runtime.database.transaction(Mode.READ) as session:
        ledger = await check_ledger(session)
        connection = await session.connection()
        pool_total = int(await connection.scalar(POOL_TOTAL, {"pool": pool}))
        last_drifts = await connection.scalar(LAST_BALANCE_DRIFTS)
        broken = await connection.scalar(BROKEN_RUNS_AMONG, {"accounts": pool})
        negative = await connection.scalar(NEGATIVE)
        entries, lopsided = (await connection.execute(NEW_TRANSFERS, {"entry": was.entry})).one()
        keys = await connection.scalar(NEW_KEYS, {"entry": was.entry})
        audited, audited_ok = (await connection.execute(NEW_AUDIT, {"seq": was.seq})).one()
    checks = {
        "ledger total is zero": (0, int(ledger.total)),
        "accounts whose balance is not the sum of their postings": (
            0,
            len(ledger.drifted_accounts),
        ),
        "accounts whose balance is not their last balance_after": (0, last_drifts),
        "pool postings not following the one before": (0, broken),
        "entries not summing to zero": (0, len(ledger.unbalanced_entries)),
        "new transfer entries without exactly two postings": (0, lopsided),
        "pool total unchanged": (was.pool_total, pool_total),
        "negative balances": (0, negative),
        "new transfer entries = committed transfers": (tally.committed, entries),
        "distinct entries answered = committed transfers": (tally.committed, len(tally.entries)),
        "idempotency keys recorded = committed transfers": (tally.committed, keys),
        "audit records OK = committed transfers": (tally.committed, audited_ok),
        "audit records = answered requests": (tally.answered, audited),
    }
    return {
        name: {"expected": expected, "found": found, "kept": expected == found}
        for name, (expected, found) in checks.items()
    }


# ---------------------------------------------------------------- statements, profile


def own_time_by_package(counted: cProfile.Profile, transfers: int) -> str:
    """cProfile's own time summed by library (or the project's package), as a table."""
    own: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    for (filename, _, _), (_, primitive, seconds, _, _) in pstats.Stats(counted).stats.items():  # type: ignore[attr-defined]
        own[package_of(filename)] += seconds
        calls[package_of(filename)] += primitive
    total = sum(own.values())
    lines = [f"{'package':<28}{'own %':>7}{'ms per transfer':>17}{'calls per transfer':>20}"]
    for package, seconds in own.most_common(20):
        lines.append(
            f"{package:<28}{100 * seconds / total:>7.1f}{1000 * seconds / transfers:>17.2f}"
            f"{calls[package] // transfers:>20,}"
        )
    return "\n".join(lines)


async def in_process(
    runtime: Runtime, pool: list[int], profile_to: Path | None, transfers: int
) -> dict[str, Any]:
    """The statements of one committed transfer in-process; the median latency and the
    CPU time of this process (the app, and SQLite) per transfer, one at a time; and
    optionally a profile of ``transfers`` of them."""
    app = create_app(runtime)
    rng = random.Random(7)  # noqa: S311
    counter = StatementCounter()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm.bench", timeout=TIMEOUT
    ) as http:
        headers = await sign_in(http)

        async def one() -> None:
            response = await http.post("/graphql", json=transfer_body(rng, pool), headers=headers)
            payload = response.json()["data"]["transfer"]
            if payload["errors"]:
                raise RuntimeError(f"the transfer was refused: {payload['errors']}")

        for _ in range(5):
            await one()
        with counter.on(runtime.database.engine.sync_engine):
            await one()
        statements = [statement[:120] for statement in counter.statements]
        times = []
        cpu_started = time.process_time()
        for _ in range(ONE_AT_A_TIME):
            started = time.perf_counter()
            await one()
            times.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu_started) * 1000 / ONE_AT_A_TIME
        if profile_to is not None:
            from pyinstrument import Profiler  # only for --profile: not a dependency

            profiler = Profiler(async_mode="enabled")
            with profiler:
                for _ in range(transfers):
                    await one()
            counted = cProfile.Profile()
            counted.enable()
            for _ in range(transfers):
                await one()
            counted.disable()
            by_package = own_time_by_package(counted, transfers)
            print(by_package)
            write(
                profile_to,
                profiler.output_text(unicode=True, time="percent_of_total")
                + f"\n\ncProfile, own time by package ({transfers} transfers):\n{by_package}\n",
            )
            print(f"profile of {transfers} transfers written to {profile_to}")
    return {
        "statements": len(statements),
        "sql": statements,
        **summary(times, 2),
        "cpu_ms": round(cpu_ms, 2),
    }


# ---------------------------------------------------------------- the floor


def write(path: Path, content: str) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(content, encoding="utf-8")


async def run(*arguments: str) -> str:
    """Run pgbench with ``arguments``; its standard output (raises if it fails)."""
    process = await asyncio.create_subprocess_exec(
        PGBENCH,
        *arguments,
        env=pgbench_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"pgbench {' '.join(arguments)} failed: {err.decode()}")
    return out.decode()


def latencies_logged(folder: str) -> list[float]:
    """Milliseconds of every transaction in pgbench's ``-l`` logs (the third field, µs)."""
    return [
        int(line.split()[2]) / 1000
        for log in Path(folder).glob("tx*")
        for line in log.read_text().splitlines()
    ]


def pgbench_environment() -> dict[str, str]:
    url = make_url(PGBENCH_URL)
    return {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": url.database or "",
    }


async def pgbench_initialise(scale: int) -> None:
    await bank.fresh_database(bank.database_url(PGBENCH_URL))
    await run("-i", "-q", "-s", str(scale))


async def pgbench(clients: int, seconds: int) -> dict[str, Any]:
    """pgbench's tpcb-like script: tps and the latencies of every transaction (``-l``)."""
    with tempfile.TemporaryDirectory() as folder:
        said = await run(
            *("-b", "tpcb-like", "-c", str(clients), "-j", str(min(2, clients))),
            *("-T", str(seconds), "-l", f"--log-prefix={folder}/tx"),
        )
        latencies = latencies_logged(folder)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", said)
    failed = re.search(r"number of failed transactions: (\d+)", said)
    return {
        "tps": round(float(tps.group(1)), 1) if tps else None,
        "transactions": len(latencies),
        "failed": int(failed.group(1)) if failed else 0,
        **summary(latencies, 2),
    }


async def pgbench_measured(
    monitor: AsyncEngine | None, clients: int, seconds: float
) -> dict[str, Any]:
    """:func:`pgbench`, with the CPU it cost PostgreSQL and pgbench per transaction,
    and what PostgreSQL's backends were doing meanwhile."""
    meter = CpuMeter(monitor, make_url(PGBENCH_URL).database, None)
    await meter.start()
    measured = await pgbench(clients, round(seconds))
    cpu = await meter.stop()
    cpu["pgbench"] = cpu.pop("clients")
    del cpu["server"]
    return {
        **measured,
        "cpu_seconds": cpu,
        "cpu_ms_per_transaction": per(cpu, measured["transactions"]),
        "backends_doing": meter.backends_doing(),
    }


def ratio(rate: float, tps: float | None) -> float | None:
    """The CRM's rate over pgbench's transactions per second."""
    return round(rate / tps, 3) if tps else None


def server_url() -> str:
    """The PostgreSQL server's own ``postgres`` database, where databases are made."""
    return (
        make_url(bank.database_url(PGBENCH_URL))
        .set(database="postgres")
        .render_as_string(hide_password=False)
    )


async def drop_pgbench_database() -> None:
    admin = create_async_engine(server_url(), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            name = make_url(PGBENCH_URL).database
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def postgresql_reachable() -> bool:
    engine = create_async_engine(server_url())
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except (OSError, Exception):  # no server: no floor
        return False
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- the run


async def measure(options: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    backend = make_url(url).get_backend_name()
    workers = 1 if backend == "sqlite" else options.workers
    runtime = Runtime.create(load_settings(database_url=url, secret_key=SECRET, **UNLIMITED))
    floor = options.pgbench and await postgresql_reachable()
    monitor = create_async_engine(server_url()) if await postgresql_reachable() else None
    database = make_url(url).database if backend == "postgresql" else None
    levels: list[dict[str, Any]] = []
    try:
        engine = runtime.database.engine
        async with engine.connect() as connection:
            accounts = list(
                await connection.scalars(
                    text("SELECT id FROM finance_account WHERE customer_id IS NOT NULL ORDER BY id")
                )
            )
            customers = await connection.scalar(text("SELECT count(*) FROM customer_customer"))
        rng = random.Random(options.seed)  # noqa: S311  (a reproducible pool, not a secret)
        pool = sorted(rng.sample(accounts, min(options.pool, len(accounts))))
        profile_to = RESULTS / f"transfers-{backend}-profile.txt" if options.profile else None
        one = await in_process(runtime, pool, profile_to, options.profile_transfers)
        print(
            f"one transfer in-process: {one['statements']} statements,"
            f" {one['median_ms']} ms, {one['cpu_ms']} ms of CPU"
        )
        if floor:
            await pgbench_initialise(options.scale)
        log = Path(options.log) if options.log else folder / "serve.log"
        async with served(url, log, workers=workers) as server:
            async with httpx.AsyncClient(base_url=server.base, timeout=TIMEOUT) as signing_in:
                tokens = [await sign_in(signing_in) for _ in range(max(options.clients))]
            async with aiohttp.ClientSession(
                server.base,
                connector=aiohttp.TCPConnector(limit=max(options.clients) + 4),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT.read),
            ) as http:
                await run_level(http, tokens, pool, min(8, max(options.clients)), 2, seed=0)
                for clients in options.clients:
                    was = await before(engine, pool)
                    load = uptime()
                    locked_before = server.said().count(LOCKED)
                    meter = CpuMeter(monitor, database, server.pid)
                    await meter.start()
                    tally, wall = await run_level(
                        http, tokens, pool, clients, options.seconds, seed=clients
                    )
                    cpu = await meter.stop()
                    locked = tally.locked + server.said().count(LOCKED) - locked_before
                    kept = await invariants(runtime, pool, was, tally)
                    level: dict[str, Any] = {
                        "clients": clients,
                        "load_before": load,
                        "seconds": round(wall, 1),
                        "committed": tally.committed,
                        "transfers_per_second": round(tally.committed / wall, 1),
                        **(summary(tally.latencies_ms, 1) if tally.latencies_ms else {}),
                        "refusals": dict(tally.refusals),
                        "failures": dict(tally.failures),
                        "database_is_locked": locked,
                        "invariants": kept,
                        "invariants_kept": all(check["kept"] for check in kept.values()),
                        "cpu_seconds": cpu,
                        "cpu_ms_per_transfer": per(cpu, tally.committed),
                        "backends_doing": meter.backends_doing(),
                    }
                    level["lightest_per_second"] = round(
                        await lightest_per_second(http, tokens, clients, options.seconds), 1
                    )
                    if floor:
                        level["pgbench_load_before"] = uptime()
                        level["pgbench"] = await pgbench_measured(monitor, clients, options.seconds)
                        tps = level["pgbench"]["tps"]
                        level["ratio"] = ratio(level["transfers_per_second"], tps)
                        level["lightest_ratio"] = ratio(level["lightest_per_second"], tps)
                    levels.append(level)
                    print(row(level))
        async with engine.connect() as connection:
            entries = await connection.scalar(text("SELECT count(*) FROM finance_journal_entry"))
    finally:
        await runtime.close()
        if monitor is not None:
            await monitor.dispose()
        if floor and not options.keep_pgbench:
            await drop_pgbench_database()
    return {
        "customers": customers,
        "database": backend,
        "workers": workers,
        "pool": len(pool),
        "scale": options.scale if floor else None,
        "journal_entries_after": entries,
        "in_process": one,
        "levels": levels,
    }


def per(cpu: dict[str, float], done: int) -> dict[str, float]:
    """CPU milliseconds per committed transaction, by where they were spent."""
    return {
        where: round(1000 * seconds / done, 2) if done else 0.0 for where, seconds in cpu.items()
    }


HEADER = (
    f"{'clients':>7}{'transfers/s':>13}{'med ms':>8}{'p95 ms':>8}{'refused':>9}{'failed':>8}"
    f"{'locked':>8}{'invariants':>12}{'pgbench tps':>13}{'med ms':>8}{'p95 ms':>8}{'×':>7}"
    f"{'me/s':>8}{'× me':>7}{'load':>17}"
)


def row(level: dict[str, Any]) -> str:
    floor = level.get("pgbench") or {}
    return (
        f"{level['clients']:>7}{level['transfers_per_second']:>13}"
        f"{level.get('median_ms', '-'):>8}{level.get('p95_ms', '-'):>8}"
        f"{sum(level['refusals'].values()):>9}{sum(level['failures'].values()):>8}"
        f"{level['database_is_locked']:>8}"
        f"{'kept' if level['invariants_kept'] else 'BROKEN':>12}"
        f"{floor.get('tps', '-'):>13}{floor.get('median_ms', '-'):>8}{floor.get('p95_ms', '-'):>8}"
        f"{level.get('ratio', '-'):>7}{level['lightest_per_second']:>8}"
        f"{level.get('lightest_ratio', '-'):>7}{level['load_before']:>17}"
    )


def cpu_table(levels: list[dict[str, Any]]) -> list[str]:
    """CPU milliseconds per committed transfer, and per pgbench transaction."""
    header = (
        f"{'clients':>7}{'CPU ms per transfer: server':>29}{'database':>10}{'clients':>9}"
        f"{'per pgbench tx: database':>26}{'pgbench':>9}"
    )
    lines = ["", header, "-" * len(header)]
    for level in levels:
        mine = level["cpu_ms_per_transfer"]
        floor = (level.get("pgbench") or {}).get("cpu_ms_per_transaction", {})
        lines.append(
            f"{level['clients']:>7}{mine['server']:>29}{mine['database']:>10}{mine['clients']:>9}"
            f"{floor.get('database', '-'):>26}{floor.get('pgbench', '-'):>9}"
        )
    return lines


def table(result: dict[str, Any]) -> str:
    lines = [HEADER, "-" * len(HEADER)] + [row(level) for level in result["levels"]]
    lines += cpu_table(result["levels"])
    for level in result["levels"]:
        for name, check in level["invariants"].items():
            if not check["kept"]:
                lines.append(
                    f"{level['clients']} clients: {name}: expected {check['expected']},"
                    f" found {check['found']}"
                )
        for kind, count in {**level["refusals"], **level["failures"]}.items():
            lines.append(f"{level['clients']} clients: {kind}: {count}")
    return "\n".join(lines) + (
        f"\n({result['database']}, {result['workers']} worker(s), pool of {result['pool']}"
        f" accounts; one transfer: {result['in_process']['statements']} SQL statements;"
        " × = transfers/s over pgbench tps; me/s = the lightest signed-in request's rate,"
        " × me its ratio to pgbench; load = 1, 5, 15-minute load before the level)"
    )


def parse_clients(value: str) -> list[int]:
    return [int(n) for n in value.split(",")]


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--db", help="SQLite file or PostgreSQL URL (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="use the bank already at --db")
    parser.add_argument("--clients", type=parse_clients, default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=20, help="per level")
    parser.add_argument("--pool", type=int, default=100, help="accounts the transfers move among")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="crm serve workers (PostgreSQL)"
    )
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i scale")
    parser.add_argument("--no-pgbench", dest="pgbench", action="store_false")
    parser.add_argument("--keep-pgbench", action="store_true", help="keep crm_bench_pgbench")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="profile transfers in-process")
    parser.add_argument("--profile-transfers", type=int, default=200)
    parser.add_argument("--log", help="keep crm serve's log here (default: a temporary file)")
    parser.add_argument("--output", help="the JSON's path (default: results/transfers-<db>.json)")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        target = options.db or str(Path(folder) / "bank.db")
        url, _ = await bank.prepare(
            target, options.customers, reuse=options.reuse and bool(options.db), seed=options.seed
        )
        result = await measure(options, url, Path(folder))
    print(table(result))
    write_figures(
        Path(options.output)
        if options.output
        else RESULTS / f"transfers-{result['database']}.json",
        {
            **result,
            "seconds_per_level": options.seconds,
            "cpus": os.cpu_count(),
            "postgresql_floor": PGBENCH_URL if result["scale"] else None,
            "latencies": "committed transfers only, as the clients saw them",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
