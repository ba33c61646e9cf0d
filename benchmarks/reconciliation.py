"""Reconciliation: a day's clearing statement matched against the ledger, and its floor.

    .venv/bin/python benchmarks/reconciliation.py [--customers 20000] [--postings 1000000]
        [--differences 1000] [--db PATH_OR_URL [--reuse]] [--repeat 1] [--profile]

Builds a bank with ``benchmarks/bank.py`` (or reuses one with ``--reuse``),
then adds one business day, the day before the bank's open date, of
``--postings`` deposits and withdrawals on its customer accounts (each a
journal entry with the bank's cash account, set-based ``INSERT ... SELECT``
as ``bank.py`` makes its rounds), and writes the clearing side's statement
file for that day: one CSV line per posting, shuffled, except that
``--differences`` postings are left out (MISSING_ON_THEIR_SIDE), as many carry
another amount (AMOUNT_MISMATCH) and as many lines name no posting of ours
(MISSING_ON_OUR_SIDE: half foreign references, half the references of that
day's cash postings, which are not on customer accounts). With the defaults
the file has exactly as many lines as the day has postings.

- the project: ``import_statement``, the service function ``crm reconcile
  --statement`` and ``importClearingStatement`` call, given the file read as
  the CLI reads it, in one write transaction, timed as a whole and by phase
  (read the file, parse, store the lines, match, record the exceptions);
- the floor: the same file read by ``csv``, its lines loaded by the driver's
  fastest path (``COPY`` on PostgreSQL, ``executemany`` of tuples in one
  transaction on SQLite) into a table indexed after the load, then one
  count and three ``INSERT ... SELECT`` of the differences (semi- and
  anti-joins against the day's postings on customer accounts).

Each runs in a child process of its own, so that its peak resident memory
(``ru_maxrss``) is its own; both must find the counts the file was written
with. Between repeats the statement, its lines and its exceptions are
deleted. It prints the table and writes
``benchmarks/results/reconciliation-<database>.json``; ``--profile`` also
profiles the project's import with pyinstrument into
``reconciliation-<database>-profile.txt`` beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import bank
from figures import RESULTS, write_figures
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from core.columns import UTCDateTime
from core.settings import load_settings

HERE = Path(__file__).resolve()
STATEMENT = "cnaps-{day:%Y%m%d}.csv"
FOREIGN = "UNIONPAY{n:010d}"
"""A reference the clearing side made up: names no posting of ours."""
COUNTERPARTY = "6222{n:012d}"


def child_environment() -> dict[str, str]:
    """The benchmark's environment for a child: the project importable."""
    root = str(HERE.parent.parent)
    path = os.pathsep.join(p for p in (str(HERE.parent), root, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB: Linux's VmHWM, which
    starts afresh with the child's program (``ru_maxrss`` keeps the parent's
    peak across fork and exec), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- the day ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What matching the statement must find."""

    lines: int
    matched: int
    amount_mismatches: int
    missing_on_our_side: int
    missing_on_their_side: int


def numbers(sqlite: bool) -> str:
    """A relation ``numbers(n)`` of 1 to ``:count``."""
    if sqlite:
        return (
            "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL"
            " SELECT n + 1 FROM numbers WHERE n < :count) "
        )
    return "WITH numbers(n) AS (SELECT generate_series(CAST(1 AS BIGINT), :count)) "


async def add_day(connection: AsyncConnection, day: date, count: int) -> float:
    """``count`` movements on the customer accounts, round-robin, value-dated
    ``day``: entries, their two postings (the cash side's ``balance_after``
    running over the day), and the balances moved; seconds taken."""
    started = time.perf_counter()
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite and await connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ):
        # as bank.py loads: the rows are generated consistent, skip the foreign-key triggers
        await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    accounts = await connection.scalar(
        text("SELECT count(*) FROM finance_account WHERE customer_id IS NOT NULL")
    )
    highest = await connection.scalar(
        text("SELECT max(id) FROM finance_account WHERE customer_id IS NOT NULL")
    )
    assert highest == bank.CASH_ID + accounts, "customer accounts follow the cash account"
    entries = await connection.scalar(
        text("SELECT coalesce(max(id), 0) FROM finance_journal_entry")
    )
    postings = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM finance_posting"))
    cash = await connection.scalar(
        text(f"SELECT balance FROM finance_account WHERE id = {bank.CASH_ID}")  # noqa: S608
    )
    typed = (bindparam("day", type_=Date), bindparam("posted_at", type_=UTCDateTime))
    binds = {
        "day": day,
        "posted_at": datetime.combine(day, clock(3), UTC),
        "count": count,
    }
    amount = "((n * 7919) % 300000 + 1) * (CASE WHEN n % 3 = 0 THEN -1 ELSE 1 END)"
    moves = (
        f"SELECT n, {bank.CASH_ID} + 1 + (n - 1) % {accounts} AS account_id,"  # noqa: S608
        f" {amount} AS amount FROM numbers"
    )
    kind = "CASE WHEN x.amount > 0 THEN 'DEPOSIT' ELSE 'WITHDRAWAL' END"
    await connection.execute(
        text(
            numbers(sqlite)  # noqa: S608  (our own integers)
            + "INSERT INTO finance_journal_entry (id, kind, value_date, created_at)"  # noqa: S608
            f" SELECT {entries} + x.n, {kind}, :day, :posted_at FROM ({moves}) x"
        ).bindparams(*typed),
        binds,
    )
    await connection.execute(
        text(
            numbers(sqlite)  # noqa: S608
            + "INSERT INTO finance_posting (id, entry_id, account_id, kind,"  # noqa: S608
            " currency, amount, balance_after, value_date, posted_at)"
            f" SELECT {postings} + 2 * x.n - 1, {entries} + x.n, x.account_id, {kind}, 'CNY',"
            " x.amount, a.balance + SUM(x.amount) OVER (PARTITION BY x.account_id ORDER BY x.n),"
            f" :day, :posted_at FROM ({moves}) x JOIN finance_account a ON a.id = x.account_id"
        ).bindparams(*typed),
        binds,
    )
    await connection.execute(
        text(
            "INSERT INTO finance_posting (id, entry_id, account_id, kind, currency,"  # noqa: S608
            " amount, balance_after, value_date, posted_at)"
            f" SELECT p.id + 1, p.entry_id, {bank.CASH_ID}, p.kind, p.currency, -p.amount,"
            f" {cash} - SUM(p.amount) OVER (ORDER BY p.id), p.value_date, p.posted_at"
            f" FROM finance_posting p WHERE p.id > {postings}"
        )
    )
    await connection.execute(
        text(
            "UPDATE finance_account SET balance = balance + moved.amount FROM"
            " (SELECT account_id, sum(amount) AS amount FROM finance_posting"
            " WHERE value_date = :day GROUP BY account_id) moved"
            " WHERE finance_account.id = moved.account_id AND customer_id IS NOT NULL"
        ).bindparams(typed[0]),
        {"day": day},
    )
    await connection.execute(
        text(
            f"UPDATE finance_account SET balance = (SELECT balance_after FROM finance_posting"  # noqa: S608
            f" WHERE id = {postings + 2 * count}) WHERE id = {bank.CASH_ID}"
        )
    )
    if not sqlite:
        for table in ("finance_journal_entry", "finance_posting"):
            await connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT max(id) + 1 FROM {table}), false)"
                )
            )
    return time.perf_counter() - started


async def day_postings(connection: AsyncConnection, day: date) -> list[tuple[int, int]]:
    """The day's postings on customer accounts: id and amount in fen."""
    rows = await connection.execute(
        text(
            "SELECT p.id, p.amount FROM finance_posting p"
            " JOIN finance_account a ON a.id = p.account_id"
            " WHERE p.value_date = :day AND a.customer_id IS NOT NULL ORDER BY p.id"
        ).bindparams(bindparam("day", type_=Date)),
        {"day": day},
    )
    return [(row[0], row[1]) for row in rows]


async def cash_postings(connection: AsyncConnection, day: date, count: int) -> list[int]:
    rows = await connection.execute(
        text(
            "SELECT id FROM finance_posting WHERE account_id = :cash AND value_date = :day"
            " ORDER BY id LIMIT :count"
        ).bindparams(bindparam("day", type_=Date)),
        {"cash": bank.CASH_ID, "day": day, "count": count},
    )
    return [row[0] for row in rows]


def statement_line(reference: str, day: date, fen: int, n: int) -> list[str]:
    direction = "CREDIT" if fen > 0 else "DEBIT"
    whole, cents = divmod(abs(fen), 100)
    return [reference, day.isoformat(), f"{whole}.{cents:02d}", direction, COUNTERPARTY.format(n=n)]


def write_statement(
    path: Path,
    day: date,
    postings: list[tuple[int, int]],
    cash: list[int],
    differences: int,
    seed: int,
) -> Expected:
    """The clearing side's file for ``day``, with ``differences`` of each kind."""
    rng = random.Random(seed)  # noqa: S311  (reproducible data, not secrets)
    chosen = rng.sample(range(len(postings)), 2 * differences)
    left_out, changed = set(chosen[:differences]), set(chosen[differences:])
    prefix = f"{day:%Y%m%d}"
    lines = []
    for i, (posting_id, fen) in enumerate(postings):
        if i in left_out:
            continue
        if i in changed:
            fen += 100 if fen > 0 else -100  # one yuan more, either way
        lines.append(statement_line(f"{prefix}{posting_id:010d}", day, fen, i))
    foreign = differences - differences // 2
    for n in range(foreign):
        lines.append(statement_line(FOREIGN.format(n=n), day, 10_000 + n, n))
    for n, posting_id in enumerate(cash[: differences - foreign]):
        lines.append(statement_line(f"{prefix}{posting_id:010d}", day, -5_000 - n, n))
    rng.shuffle(lines)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["reference", "value date", "amount", "direction", "counterparty"])
        writer.writerows(lines)
    return Expected(
        lines=len(lines),
        matched=len(postings) - 2 * differences,
        amount_mismatches=differences,
        missing_on_our_side=differences,
        missing_on_their_side=differences,
    )


async def forget_statement(url: str, day: date) -> None:
    """The day's statement, its lines and its exceptions gone, for the next run."""
    engine = create_async_engine(url)
    on = bindparam("day", type_=Date)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "DELETE FROM finance_clearing_statement_line WHERE statement_id IN"
                    " (SELECT id FROM finance_clearing_statement WHERE business_date = :day)"
                ).bindparams(on),
                {"day": day},
            )
            await connection.execute(
                text(
                    "DELETE FROM finance_clearing_statement WHERE business_date = :day"
                ).bindparams(on),
                {"day": day},
            )
            await connection.execute(
                text(
                    "DELETE FROM finance_reconciliation_exception WHERE found_on = :day"
                    " AND kind IN ('AMOUNT_MISMATCH', 'MISSING_ON_OUR_SIDE',"
                    " 'MISSING_ON_THEIR_SIDE')"
                ).bindparams(on),
                {"day": day},
            )
    finally:
        await engine.dispose()


# -- the project, in a child process ---------------------------------------------------------


class Phases:
    """Seconds per phase of ``import_statement``, by wrapping the functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module: Any, name: str, phase: str) -> None:
        inner = getattr(module, name, None)
        if inner is None:
            return
        seconds = self.seconds

        if inspect.isgeneratorfunction(inner):

            def timed_rows(*args: Any, **kwargs: Any) -> Iterator[Any]:
                rows = inner(*args, **kwargs)
                while True:
                    started = time.perf_counter()
                    try:
                        row = next(rows)
                    except StopIteration:
                        return
                    finally:
                        seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - started
                    yield row

            setattr(module, name, timed_rows)
        elif asyncio.iscoroutinefunction(inner):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await inner(*args, **kwargs)
                finally:
                    seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - started

            setattr(module, name, timed_async)
        else:

            def timed_sync(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return inner(*args, **kwargs)
                finally:
                    seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - started

            setattr(module, name, timed_sync)


async def run_project(url: str, path: Path, day: date, profile: Path | None) -> dict[str, Any]:
    from core.db import Mode
    from core.runtime import Runtime
    from plugins.finance.reconciliation import matching

    phases = Phases()
    phases.wrap(matching, "parse_statement", "parse")  # before the fix: all of the file at once
    phases.wrap(matching, "statement_rows", "parse")  # after it: a row at a time, while storing
    phases.wrap(matching, "_store_lines", "store lines")
    phases.wrap(matching, "_match", "match")
    phases.wrap(matching, "record", "record exceptions")
    runtime = Runtime.create(load_settings(database_url=url))
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
    try:
        async with runtime.database.engine.connect() as connection:  # connect before timing
            await connection.execute(text("SELECT 1"))
        before = peak_mb()
        if profiler is not None:
            profiler.start()
        started = time.perf_counter()
        content = path.read_text(encoding="utf-8-sig")  # noqa: ASYNC240  (as `crm reconcile` reads it)
        read = time.perf_counter() - started
        async with runtime.database.transaction(Mode.WRITE) as session:
            imported = await matching.import_statement(
                session, runtime.settings, day, path.name, content, None
            )
            statement = imported.statement
            assert statement is not None, imported.bad_rows
        whole = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            text_ = profiler.output_text(unicode=True, show_all=False)
            profile.write_text(text_, "utf-8")  # noqa: ASYNC240
    finally:
        await runtime.close()
    seconds = phases.seconds
    if "store lines" in seconds:  # the rows are parsed as they are stored
        seconds["store lines"] -= seconds.get("parse", 0.0)
    # _match's own statements (the count of matches) are matching; record() does
    # the anti-joins and writes what they find, so it is a phase of its own.
    seconds["match"] = seconds.get("match", 0.0) - seconds.get("record exceptions", 0.0)
    seconds["read file"] = read
    seconds["other"] = whole - sum(seconds.values())
    return {
        "seconds": round(whole, 3),
        "phases": {name: round(s, 3) for name, s in seconds.items()},
        "memory_before_mb": before,
        "peak_memory_mb": peak_mb(),
        "found": {
            "lines": statement.lines,
            "matched": statement.matched,
            "amount_mismatches": statement.amount_mismatches,
            "missing_on_our_side": statement.missing_on_our_side,
            "missing_on_their_side": statement.missing_on_their_side,
        },
    }


# -- the floor, in a child process -----------------------------------------------------------

FLOOR_LINES = "bench_floor_line"
FLOOR_FOUND = "bench_floor_exception"


def floor_rows(path: Path, day: date) -> Iterator[tuple[int, str, int, int | None]]:
    """The file's lines as (line, reference, signed fen, posting id named)."""
    prefix = f"{day:%Y%m%d}"
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        for line_no, (reference, _on, amount, direction, _counterparty) in enumerate(reader, 2):
            whole, _, cents = amount.partition(".")
            fen = int(whole) * 100 + int(cents.ljust(2, "0"))
            ours = len(reference) == 18 and reference.startswith(prefix) and reference.isdigit()
            yield (
                line_no,
                reference,
                fen if direction == "CREDIT" else -fen,
                int(reference[8:]) if ours else None,
            )


def floor_statements(day: str, sqlite: bool) -> dict[str, str]:
    """The floor's matching, one statement each: a count, then three differences
    recorded. The joins go from the day's postings (read in order by the
    value-date index) to the lines, and the lines are checked against the set of
    the day's posting ids, so that no statement probes the whole ledger at random
    (``CROSS JOIN`` keeps SQLite to that order; PostgreSQL plans it alike). A
    line names none of ours: ``NOT IN`` the day's ids on SQLite, which builds
    the set once; an anti-join on PostgreSQL, whose ``NOT IN`` would scan a
    million ids per line once they outgrow ``work_mem``."""
    ours = (
        "SELECT p.id FROM finance_posting p JOIN finance_account a ON a.id = p.account_id"
        " WHERE p.value_date = '{day}' AND a.customer_id IS NOT NULL"
    )
    named = (
        "FROM finance_posting p CROSS JOIN {lines} l"
        " JOIN finance_account a ON a.id = p.account_id"
        " WHERE l.posting_id = p.id AND p.value_date = '{day}' AND a.customer_id IS NOT NULL"
    )
    record = "INSERT INTO {found} (kind, reference, posting_id, amount, other_amount) "
    statements = {
        "matched": f"SELECT count(*) {named} AND p.amount = l.amount",
        "amount_mismatches": record
        + f"SELECT 'AMOUNT_MISMATCH', l.reference, p.id, l.amount, p.amount {named}"
        " AND p.amount <> l.amount",
        "missing_on_our_side": record  # noqa: S608  (our own names)
        + "SELECT 'MISSING_ON_OUR_SIDE', l.reference, NULL, l.amount, NULL FROM {lines} l"
        + (
            f" WHERE l.posting_id IS NULL OR l.posting_id NOT IN ({ours})"
            if sqlite
            else f" WHERE NOT EXISTS ({ours} AND p.id = l.posting_id)"
        ),
        "missing_on_their_side": record  # noqa: S608
        + "SELECT 'MISSING_ON_THEIR_SIDE', NULL, p.id, p.amount, NULL FROM finance_posting p"
        " JOIN finance_account a ON a.id = p.account_id"
        " WHERE p.value_date = '{day}' AND a.customer_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM {lines} l WHERE l.posting_id = p.id)",
    }
    return {
        name: sql.format(lines=FLOOR_LINES, found=FLOOR_FOUND, day=day)
        for name, sql in statements.items()
    }


FLOOR_TABLES = (
    f"CREATE TABLE {FLOOR_LINES} (line_no INTEGER NOT NULL, reference VARCHAR(40) NOT NULL,"
    " amount BIGINT NOT NULL, posting_id BIGINT)",
    f"CREATE TABLE {FLOOR_FOUND} (kind VARCHAR(32), reference VARCHAR(40), posting_id BIGINT,"
    " amount BIGINT, other_amount BIGINT)",
)
FLOOR_INDEX = f"CREATE INDEX {FLOOR_LINES}_posting ON {FLOOR_LINES} (posting_id)"
FLOOR_DROP = (f"DROP TABLE IF EXISTS {FLOOR_LINES}", f"DROP TABLE IF EXISTS {FLOOR_FOUND}")


def floor_sqlite(database: str, path: Path, day: date) -> tuple[dict[str, float], dict[str, int]]:
    seconds: dict[str, float] = {}
    found: dict[str, int] = {}
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        for sql in FLOOR_DROP:
            connection.execute(sql)
        started = time.perf_counter()
        connection.execute("BEGIN")
        for sql in FLOOR_TABLES:
            connection.execute(sql)
        connection.executemany(
            f"INSERT INTO {FLOOR_LINES} VALUES (?, ?, ?, ?)",  # noqa: S608
            floor_rows(path, day),
        )
        connection.execute(FLOOR_INDEX)
        connection.execute(f"ANALYZE {FLOOR_LINES}")
        seconds["load lines"] = time.perf_counter() - started
        for name, sql in floor_statements(day.isoformat(), sqlite=True).items():
            started = time.perf_counter()
            cursor = connection.execute(sql)
            found[name] = cursor.fetchone()[0] if name == "matched" else cursor.rowcount
            seconds[name] = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute("COMMIT")
        seconds["commit"] = time.perf_counter() - started
        for sql in FLOOR_DROP:
            connection.execute(sql)
    finally:
        connection.close()
    return seconds, found


async def floor_postgresql(
    url: str, path: Path, day: date
) -> tuple[dict[str, float], dict[str, int]]:
    import asyncpg

    seconds: dict[str, float] = {}
    found: dict[str, int] = {}
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        for sql in FLOOR_DROP:
            await connection.execute(sql)
        started = time.perf_counter()
        transaction = connection.transaction()
        await transaction.start()
        for sql in FLOOR_TABLES:
            await connection.execute(sql)
        await connection.copy_records_to_table(FLOOR_LINES, records=floor_rows(path, day))
        await connection.execute(FLOOR_INDEX)
        await connection.execute(f"ANALYZE {FLOOR_LINES}")
        seconds["load lines"] = time.perf_counter() - started
        for name, sql in floor_statements(day.isoformat(), sqlite=False).items():
            started = time.perf_counter()
            if name == "matched":
                found[name] = await connection.fetchval(sql)
            else:
                found[name] = int((await connection.execute(sql)).split()[-1])
            seconds[name] = time.perf_counter() - started
        started = time.perf_counter()
        await transaction.commit()
        seconds["commit"] = time.perf_counter() - started
        for sql in FLOOR_DROP:
            await connection.execute(sql)
    finally:
        await connection.close()
    return seconds, found


async def run_floor(url: str, path: Path, day: date) -> dict[str, Any]:
    before = peak_mb()
    started = time.perf_counter()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        seconds, found = floor_sqlite(parsed.database or "", path, day)
    else:
        seconds, found = await floor_postgresql(url, path, day)
    whole = time.perf_counter() - started
    lines = sum(1 for _ in path.open(encoding="utf-8")) - 1
    return {
        "seconds": round(whole, 3),
        "phases": {name: round(s, 3) for name, s in seconds.items()},
        "memory_before_mb": before,
        "peak_memory_mb": peak_mb(),
        "found": {"lines": lines, **found},
    }


def in_child(which: str, url: str, path: Path, day: date, profile: Path | None) -> dict[str, Any]:
    """Run ``which`` (project or floor) in a fresh interpreter; what it measured."""
    command = [sys.executable, str(HERE), "--child", which, "--db", url]
    command += ["--file", str(path), "--day", day.isoformat()]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        command, capture_output=True, text=True, env=child_environment(), check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the {which} run failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the run ---------------------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def table(expected: Expected, runs: list[dict[str, Any]]) -> str:
    """Phases and totals of the median run (by the project's total), and the ratio."""
    ordered = sorted(runs, key=lambda run: run["project"]["seconds"])
    middle = ordered[len(ordered) // 2]
    project, floor = middle["project"], middle["floor"]
    lines = [f"{'project':<28}{'s':>9}    {'floor':<26}{'s':>9}", "-" * 76]
    left = list(project["phases"].items())
    right = list(floor["phases"].items())
    for i in range(max(len(left), len(right))):
        a = f"{left[i][0]:<28}{left[i][1]:>9.2f}" if i < len(left) else " " * 37
        b = f"{right[i][0]:<26}{right[i][1]:>9.2f}" if i < len(right) else ""
        lines.append(f"{a}    {b}")
    lines.append("-" * 76)
    lines.append(
        f"{'total':<28}{project['seconds']:>9.2f}    {'total':<26}{floor['seconds']:>9.2f}"
    )
    growth = project["peak_memory_mb"] - project["memory_before_mb"]
    floor_growth = floor["peak_memory_mb"] - floor["memory_before_mb"]
    lines.append(
        f"{'peak memory MB (+ growth)':<28}{project['peak_memory_mb']:>9.0f}"
        f"    {'':<26}{floor['peak_memory_mb']:>9.0f}"
    )
    lines.append(f"{'':<28}{f'+{growth:.0f}':>9}    {'':<26}{f'+{floor_growth:.0f}':>9}")
    lines.append("")
    lines.append(
        f"× whole: {middle['ratio']:.2f}   × matching (match + record over the floor's"
        f" four statements): {middle['match_ratio']:.2f}"
    )
    totals = ", ".join(f"{r['project']['seconds']:.1f}/{r['floor']['seconds']:.1f}" for r in runs)
    lines.append(f"runs (project/floor s): {totals}")
    lines.append(
        f"found, as written: {expected.lines:,} lines, {expected.matched:,} matched,"
        f" {expected.amount_mismatches:,} amount mismatches,"
        f" {expected.missing_on_our_side:,} missing on our side,"
        f" {expected.missing_on_their_side:,} missing on theirs"
    )
    return "\n".join(lines)


FLOOR_MATCHING = ("matched", "amount_mismatches", "missing_on_our_side", "missing_on_their_side")


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--postings", type=int, default=1_000_000, help="the day's, on customers")
    parser.add_argument("--differences", type=int, default=1_000, help="of each kind")
    parser.add_argument("--db", help="SQLite file or PostgreSQL URL (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="use the bank (and day) at --db")
    parser.add_argument("--repeat", type=int, default=1, help="imports, each against a floor")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="profile the project's import")
    parser.add_argument("--child", choices=("project", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--day", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.child == "project":
        measured = await run_project(options.db, options.file, options.day, options.profile_to)
        print(json.dumps(measured))
        return 0
    if options.child == "floor":
        print(json.dumps(await run_floor(options.db, options.file, options.day)))
        return 0

    with tempfile.TemporaryDirectory() as folder:
        target = options.db or str(Path(folder) / "bank.db")
        url, built = await bank.prepare(
            target, options.customers, reuse=options.reuse and bool(options.db), seed=options.seed
        )
        backend = make_url(url).get_backend_name()
        day = load_settings(database_url=url).today() - timedelta(days=1)
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                present = await connection.scalar(
                    text("SELECT count(*) FROM finance_posting WHERE value_date = :day").bindparams(
                        bindparam("day", type_=Date)
                    ),
                    {"day": day},
                )
                add_seconds = None
                if not present:
                    print(f"adding {options.postings:,} movements on {day}")
                    add_seconds = await add_day(connection, day, options.postings)
            if add_seconds is not None:
                async with engine.connect() as connection:
                    if backend == "sqlite":
                        await connection.exec_driver_sql("ANALYZE")
                    else:
                        await connection.execution_options(isolation_level="AUTOCOMMIT")
                        await connection.exec_driver_sql("VACUUM ANALYZE")
            async with engine.connect() as connection:
                postings = await day_postings(connection, day)
                cash = await cash_postings(connection, day, options.differences)
        finally:
            await engine.dispose()
        path = Path(folder) / STATEMENT.format(day=day)
        expected = write_statement(path, day, postings, cash, options.differences, options.seed)
        del postings
        size = path.stat().st_size
        print(f"statement {path.name}: {expected.lines:,} lines, {size:,} bytes")

        runs = []
        for n in range(options.repeat):
            await forget_statement(url, day)
            loaded = load_average()
            profile = RESULTS / f"reconciliation-{backend}-profile.txt"
            project = in_child("project", url, path, day, profile if options.profile else None)
            floor = in_child("floor", url, path, day, None)
            for measured in (project, floor):
                assert measured["found"] == asdict(expected), (measured["found"], expected)
            matching = project["phases"]["match"] + project["phases"]["record exceptions"]
            floor_matching = sum(floor["phases"][name] for name in FLOOR_MATCHING)
            runs.append(
                {
                    "load_average": loaded,
                    "project": project,
                    "floor": floor,
                    "ratio": round(project["seconds"] / floor["seconds"], 2),
                    "match_ratio": round(matching / floor_matching, 2),
                }
            )
            print(
                f"run {n + 1}: project {project['seconds']:.1f} s, floor {floor['seconds']:.1f} s"
                f" (load {loaded})"
            )
    print(table(expected, runs))
    write_figures(
        RESULTS / f"reconciliation-{backend}.json",
        {
            "database": backend,
            "customers": built.customers if built else None,
            "build_seconds": round(built.total_seconds, 1) if built else None,
            "business_date": day.isoformat(),
            "day_postings": options.postings,
            "add_day_seconds": round(add_seconds, 1) if add_seconds is not None else None,
            "statement": asdict(expected),
            "statement_bytes": size,
            "repeat": options.repeat,
            "cpus": os.cpu_count(),
            "runs": runs,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
