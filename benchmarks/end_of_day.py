"""End of day at scale: the whole close of a business date against its set-based floor.

    .venv/bin/python benchmarks/end_of_day.py --db PATH_OR_URL [--accounts 100000 1000000]
        [--transactions-per-account 3] [--profile]

For each size, builds a bank of that many demand deposits with
``benchmarks/bank.py`` at ``--db`` (a SQLite file, replaced; or a PostgreSQL
URL, its database recreated: three accounts per customer, a few transactions
each), and puts it in the state of an ordinary evening: the bank's
interest-expense account open, one earlier day closed by the real batch (so the
backlog a first close clears, every ticket deadline and every tier out of line
with the generated balances, is behind it; that close is timed and reported
too) and a quarter's interest accrued. Then, each on a fresh copy of that bank
(a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so that
every run starts from the same data with the same caches:

- **close, ordinary day**: the real end-of-day close of the open date (every
  plugin's steps, as ``crm eod`` runs them: ``close_business_days``), with the
  time of each step;
- **close, settlement day**: the same on a copy whose open date is the next
  20th of a quarter month, when demand deposits are paid their interest;
- **floor**: the same arithmetic as hand-written set-based statements in one
  write transaction on the same engine, no ORM: the accrual UPDATE; on the
  settlement day also the journal entry, the customers' postings by
  ``INSERT ... SELECT``, the interest-expense posting, the balance UPDATEs.

Each runs in a child process, which reports the wall time of the work (from
before its first statement to its commit; imports and start-up excluded) and
its peak resident set (``ru_maxrss``, with the resident set before the work
began: memory the work itself took is the difference; SQLite's page cache lives
in the process, PostgreSQL's in the server). After each run the copy is checked:
the close's accruals, interest postings and balances equal the floor's (count,
sums, and sums weighted by account id), the interest entry balances, every
posting and every balance sums to zero, and the reconciliation found nothing.

It prints a table per size and writes ``benchmarks/results/end_of_day-<database>.json``;
``--profile`` writes pyinstrument's tree of the largest ordinary and settlement
closes to ``end_of_day-<database>-profile.txt`` beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import bank
from cpu import resident_bytes
from figures import RESULTS, write_figures
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.columns import UTCDateTime
from core.db import Database, Mode
from core.settings import load_settings
from plugins.finance.dates import is_interest_settlement_day
from plugins.finance.interest_math import ACCRUAL_DIVISOR

"""``end_of_day-<database>.json`` and ``end_of_day-<database>-profile.txt`` go here."""
SECRET = "benchmark-secret-key-that-is-long-enough-for-hs256"  # noqa: S105
DAYS_ACCRUED = 90
"""The quarter's days of interest already accrued when the measured closes run."""
COPY_SUFFIX = "_copy"


class ResidentSet:
    """The process's resident set, sampled every few milliseconds during the
    work (``ru_maxrss`` alone would show the peak of start-up, imports included)."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.before = self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def now(self) -> int:
        return resident_bytes()

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> ResidentSet:
        gc.collect()
        self.before = self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())

    def figures(self) -> dict[str, float]:
        mb = 1024 * 1024
        return {
            "rss_before_mb": round(self.before / mb, 1),
            "rss_peak_mb": round(self.peak / mb, 1),
            "rss_grew_mb": round((self.peak - self.before) / mb, 1),
        }


# ---------------------------------------------------------------- the floor

OPEN_DEMAND = "kind = 'DEMAND' AND status != 'CLOSED'"
INTEREST_FEN = f"((2 * accrual + {ACCRUAL_DIVISOR}) / {2 * ACCRUAL_DIVISOR})"
FLOOR_ACCRUAL = f"""
UPDATE finance_account SET accrual = accrual + balance * annual_rate
WHERE {OPEN_DEMAND} AND balance > 0 AND annual_rate > 0"""  # noqa: S608  (our own constants)
FLOOR_ENTRY = """
INSERT INTO finance_journal_entry (kind, value_date, memo, created_at)
VALUES ('INTEREST', :day, :memo, :now) RETURNING id"""
FLOOR_POSTINGS = f"""
INSERT INTO finance_posting (entry_id, account_id, kind, currency, amount, balance_after,
                             value_date, posted_at)
SELECT :entry, id, 'INTEREST', currency, {INTEREST_FEN}, balance + {INTEREST_FEN}, :day, :now
FROM finance_account
WHERE {OPEN_DEMAND} AND currency = 'CNY' AND accrual > 0 AND {INTEREST_FEN} > 0"""  # noqa: S608
FLOOR_PAID = "SELECT coalesce(sum(amount), 0) FROM finance_posting WHERE entry_id = :entry"
FLOOR_EXPENSE_POSTING = """
INSERT INTO finance_posting (entry_id, account_id, kind, currency, amount, balance_after,
                             value_date, posted_at)
SELECT :entry, id, 'INTEREST', 'CNY', -CAST(:paid AS BIGINT), balance - CAST(:paid AS BIGINT),
       :day, :now
FROM finance_account WHERE internal = 'INTEREST_EXPENSE' AND currency = 'CNY'"""
FLOOR_BALANCES = f"""
UPDATE finance_account SET balance = balance + {INTEREST_FEN}, accrual = 0
WHERE {OPEN_DEMAND} AND currency = 'CNY' AND accrual > 0"""  # noqa: S608
FLOOR_EXPENSE_BALANCE = """
UPDATE finance_account SET balance = balance - CAST(:paid AS BIGINT)
WHERE internal = 'INTEREST_EXPENSE' AND currency = 'CNY'"""


async def floor(url: str, day: date) -> dict[str, Any]:
    """The day's interest arithmetic by hand, in one write transaction (CNY: the
    bench bank's only currency)."""
    database = Database(load_settings(database_url=url, secret_key=SECRET).database)
    statements = 1
    try:
        async with database.transaction(Mode.READ) as session:  # connected, as the close is
            await session.execute(text("SELECT open_date FROM kernel_business_day"))
        with ResidentSet() as resident:
            started = time.perf_counter()
            async with database.transaction(Mode.WRITE) as session:
                await session.execute(text(FLOOR_ACCRUAL))
                if is_interest_settlement_day(day):
                    typed = (bindparam("now", type_=UTCDateTime),)
                    moment = {"day": day, "now": datetime.now(UTC)}
                    entry = (
                        await session.execute(
                            text(FLOOR_ENTRY).bindparams(*typed),
                            {**moment, "memo": f"Interest settled on {day}"},
                        )
                    ).scalar_one()
                    binds = {**moment, "entry": entry}
                    await session.execute(text(FLOOR_POSTINGS).bindparams(*typed), binds)
                    paid = (await session.execute(text(FLOOR_PAID), binds)).scalar_one()
                    binds["paid"] = paid
                    await session.execute(text(FLOOR_EXPENSE_POSTING).bindparams(*typed), binds)
                    await session.execute(text(FLOOR_BALANCES))
                    await session.execute(text(FLOOR_EXPENSE_BALANCE), {"paid": paid})
                    statements += 6
                before_commit = time.perf_counter() - started
            seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "before_commit_seconds": before_commit,
            "statements": statements,
            **resident.figures(),
        }
    finally:
        await database.dispose()


# ---------------------------------------------------------------- the close


async def close(url: str, profile: Path | None) -> dict[str, Any]:
    """The open date closed as ``crm eod`` closes it, each step timed."""
    import core.end_of_day as end_of_day
    from core.runtime import Runtime

    runtime = Runtime.create(load_settings(database_url=url, secret_key=SECRET))
    steps: dict[str, float] = {}
    all_steps = end_of_day.steps_of

    def timed_steps(runtime: Runtime) -> list[end_of_day.EndOfDayStep]:
        def timing(step: end_of_day.EndOfDayStep) -> end_of_day.EndOfDayStep:
            async def run(day: end_of_day.ClosingDay) -> str:
                started = time.perf_counter()
                try:
                    return await step.run(day)
                finally:
                    steps[step.name] = time.perf_counter() - started

            return end_of_day.EndOfDayStep(step.name, run, step.phase)

        return [timing(step) for step in all_steps(runtime)]

    end_of_day.steps_of = timed_steps  # the steps run unchanged; only their time is taken
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            from core.business_day import open_business_date

            opened = await open_business_date(session, runtime.settings)
        with ResidentSet() as resident:
            started = time.perf_counter()
            closed = await end_of_day.close_business_days(runtime, opened + timedelta(days=1))
            seconds = time.perf_counter() - started
    finally:
        await runtime.close()
    figures: dict[str, Any] = {
        "seconds": seconds,
        "business_date": closed[0].business_date.isoformat(),
        "steps": steps,
        "report": closed[0].report,
        **resident.figures(),
    }
    if profiler is not None:
        profiler.stop()
        figures["profile"] = profiler.output_text(unicode=True, show_all=False)
    return figures


def child(argv: list[str]) -> int:
    """``--child floor|close URL DAY [PROFILE]``: one run, its figures as JSON on stdout."""
    what, url, day = argv[0], argv[1], date.fromisoformat(argv[2])
    profile = Path(argv[3]) if len(argv) > 3 else None
    work = floor(url, day) if what == "floor" else close(url, profile)
    figures = asyncio.run(work)
    if profile is not None:
        profile.write_text(figures.pop("profile"), encoding="utf-8")
    figures["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


def run_child(what: str, url: str, day: date, profile: Path | None = None) -> dict[str, Any]:
    """Run ``what`` in a fresh Python process; its figures."""
    command = [sys.executable, __file__, "--child", what, url, day.isoformat()]
    if profile is not None:
        command.append(str(profile))
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"the {what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the data


class Bank:
    """The built bank at ``url``, and fresh copies of it to run on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.parsed = make_url(url)
        self.sqlite = self.parsed.get_backend_name() == "sqlite"

    @property
    def copy_url(self) -> str:
        if self.sqlite:
            path = Path(self.parsed.database or "")
            copy = path.with_name(f"{path.stem}{COPY_SUFFIX}{path.suffix}")
            return self.parsed.set(database=str(copy)).render_as_string(hide_password=False)
        copy = f"{self.parsed.database}{COPY_SUFFIX}"
        return self.parsed.set(database=copy).render_as_string(hide_password=False)

    async def execute(self, url: str, *statements: str, **binds: Any) -> list[Any]:
        """Run ``statements`` in one transaction; the first row of each."""
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                results = [await connection.execute(text(s), binds) for s in statements]
                return [result.first() if result.returns_rows else None for result in results]
        finally:
            await engine.dispose()

    async def maintain(self) -> None:
        """Statistics fresh and (PostgreSQL) dead rows vacuumed, as a bank's
        maintenance leaves them; SQLite's WAL folded into the file, for copying."""
        engine = create_async_engine(self.url)
        try:
            async with engine.connect() as connection:
                if self.sqlite:
                    await connection.exec_driver_sql("ANALYZE")
                    await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    await connection.execution_options(isolation_level="AUTOCOMMIT")
                    await connection.exec_driver_sql("VACUUM ANALYZE")
        finally:
            await engine.dispose()

    async def copy(self) -> str:
        """A fresh copy of the bank (replacing the last); its URL."""
        await self.drop_copy()
        if self.sqlite:
            shutil.copyfile(self.parsed.database or "", make_url(self.copy_url).database or "")
            return self.copy_url
        name = make_url(self.copy_url).database
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.parsed.database}"')
        await self._admin("CHECKPOINT")  # the copy's writes flushed now, not during the run
        return self.copy_url

    async def drop_copy(self) -> None:
        if self.sqlite:
            path = make_url(self.copy_url).database or ""
            for leftover in (Path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            return
        await self._admin(f'DROP DATABASE IF EXISTS "{make_url(self.copy_url).database}"')

    async def _admin(self, statement: str) -> None:
        admin = create_async_engine(
            self.parsed.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(statement)
        finally:
            await admin.dispose()


async def open_interest_expense(url: str) -> None:
    """The bank's CNY interest-expense account, as a running bank has it."""
    from plugins.finance.locks import lock_internal_account
    from plugins.finance.models import InternalAccount

    database = Database(load_settings(database_url=url, secret_key=SECRET).database)
    try:
        async with database.transaction(Mode.WRITE) as session:
            await lock_internal_account(session, InternalAccount.INTEREST_EXPENSE, "CNY")
    finally:
        await database.dispose()


async def set_open_date(bank_: Bank, url: str, day: date) -> None:
    await bank_.execute(url, "DELETE FROM kernel_business_day")
    await bank_.execute(
        url, "INSERT INTO kernel_business_day (id, open_date) VALUES (1, :day)", day=day
    )


async def prepare(bank_: Bank, ordinary: date) -> dict[str, Any]:
    """An ordinary evening: the expense account open, the day before closed by
    the batch (timed: the first close), a quarter's interest accrued."""
    await open_interest_expense(bank_.url)
    await set_open_date(bank_, bank_.url, ordinary - timedelta(days=1))
    await bank_.maintain()
    first = run_child("close", bank_.url, ordinary - timedelta(days=1))
    await bank_.execute(
        bank_.url,
        f"UPDATE finance_account SET accrual = balance * annual_rate * {DAYS_ACCRUED}"  # noqa: S608
        f" WHERE {OPEN_DEMAND} AND balance > 0",
    )
    await bank_.maintain()
    return first


FINGERPRINT = (
    # demand deposits: how many, their accruals and balances, and the same weighted by id
    # (the accruals' sum in two parts: whole, it overflows 64 bits at a million accounts)
    f"SELECT count(*), sum(accrual / 1000000000), sum(accrual % 1000000000), sum(balance),"  # noqa: S608
    f" sum((accrual % 1000003) * (id % 997)), sum(balance * (id % 997))"
    f" FROM finance_account WHERE {OPEN_DEMAND}",
    # the day's interest postings on customer accounts
    "SELECT count(*), sum(amount), sum(amount * (account_id % 997)) FROM finance_posting p"
    " WHERE p.kind = 'INTEREST' AND p.value_date = :day"
    " AND p.account_id IN (SELECT id FROM finance_account WHERE customer_id IS NOT NULL)",
    # the interest-expense account
    "SELECT balance FROM finance_account WHERE internal = 'INTEREST_EXPENSE' AND currency = 'CNY'",
)
BOOKS = (
    "SELECT coalesce(sum(amount), 0) FROM finance_posting",
    "SELECT coalesce(sum(balance), 0) FROM finance_account",
    # the day's interest entries balance; each payee's balance is its posting's balance_after
    "SELECT count(*) FROM (SELECT entry_id FROM finance_posting"
    " WHERE kind = 'INTEREST' AND value_date = :day GROUP BY entry_id HAVING sum(amount) != 0) x",
    "SELECT count(*) FROM finance_posting p JOIN finance_account a ON a.id = p.account_id"
    " WHERE p.kind = 'INTEREST' AND p.value_date = :day AND a.balance != p.balance_after",
)


async def outcome(bank_: Bank, url: str, day: date) -> dict[str, Any]:
    rows = await bank_.execute(url, *FINGERPRINT, *BOOKS, day=day)
    prints, books = rows[: len(FINGERPRINT)], rows[len(FINGERPRINT) :]
    return {
        "fingerprint": [[int(v or 0) for v in row] if row else None for row in prints],
        "books_balance": all(row[0] == 0 for row in books),
    }


async def measure_size(
    target: str, accounts: int, per_account: int, profile: Path | None
) -> dict[str, Any]:
    customers = -(-accounts // bank.ACCOUNTS_PER_CUSTOMER)
    print(f"building a bank of {customers:,} customers ({accounts:,} accounts)")
    built = await bank.build(target, customers, transactions_per_account=per_account)
    print(built.table())
    bank_ = Bank(built.url)
    today = load_settings(database_url=built.url).today()
    ordinary = today - timedelta(days=1) if is_interest_settlement_day(today) else today
    settlement = ordinary + timedelta(days=1)
    while not is_interest_settlement_day(settlement):
        settlement += timedelta(days=1)
    print("closing the day before (the first close) ...")
    first = await prepare(bank_, ordinary)
    runs = []
    for kind, day in (("ordinary", ordinary), ("settlement", settlement)):
        results: dict[str, Any] = {"day": kind, "business_date": day.isoformat()}
        for what in ("floor", "close"):
            url = await bank_.copy()
            if day != ordinary:
                await set_open_date(bank_, url, day)
            print(f"{kind} day {day}: {what} ...")
            load = os.getloadavg()[0]
            profiled = None
            if profile is not None and what == "close":
                profiled = profile.with_name(f"{profile.stem}-{kind}{profile.suffix}")
            figures = run_child(what, url, day, profiled)
            figures["load_before"] = load
            figures.update(await outcome(bank_, url, day))
            results[what] = figures
        await bank_.drop_copy()
        results["same_result"] = results["floor"]["fingerprint"] == results["close"]["fingerprint"]
        results["ratio"] = round(results["close"]["seconds"] / results["floor"]["seconds"], 2)
        interest = sum(
            results["close"]["steps"].get(s, 0)
            for s in ("finance.interest_accrual", "finance.interest_settlement")
        )
        results["interest_steps_seconds"] = interest
        # the steps run inside the close's transaction: against the floor before its commit
        floor_work = results["floor"]["before_commit_seconds"]
        results["interest_ratio"] = round(interest / floor_work, 2)
        results["close"]["commit_and_rest_seconds"] = results["close"]["seconds"] - sum(
            results["close"]["steps"].values()
        )
        runs.append(results)
    return {
        "accounts": accounts,
        "customers": customers,
        "transactions_per_account": per_account,
        "rows": built.rows,
        "build_seconds": round(built.total_seconds, 1),
        "first_close": first,
        "runs": runs,
    }


def table(size: dict[str, Any]) -> str:
    lines = [
        f"{size['accounts']:,} accounts ({size['customers']:,} customers,"
        f" {size['transactions_per_account']} transactions each)",
        f"{'day':<12}{'close s':>9}{'floor s':>9}{'×':>7}{'interest s':>12}{'× int':>7}"
        f"{'close MB':>10}{'grew':>7}{'floor MB':>10}{'grew':>7}{'same':>6}{'books':>7}",
    ]
    for r in size["runs"]:
        c, f = r["close"], r["floor"]
        lines.append(
            f"{r['day']:<12}{c['seconds']:>9.2f}{f['seconds']:>9.2f}{r['ratio']:>7}"
            f"{r['interest_steps_seconds']:>12.2f}{r['interest_ratio']:>7}"
            f"{c['rss_peak_mb']:>10}{c['rss_grew_mb']:>7}{f['rss_peak_mb']:>10}{f['rss_grew_mb']:>7}"
            f"{'yes' if r['same_result'] else 'NO':>6}"
            f"{'ok' if c['books_balance'] and f['books_balance'] else 'NO':>7}"
        )
    for r in size["runs"]:
        steps = ", ".join(f"{n} {s:.2f}" for n, s in r["close"]["steps"].items())
        lines.append(f"  {r['day']} steps (s): {steps}")
    first = size["first_close"]
    lines.append(
        f"  first close (backlog): {first['seconds']:.2f} s,"
        f" {first['rss_peak_mb']} MB (grew {first['rss_grew_mb']})"
    )
    return "\n".join(lines)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db", required=True, help="a SQLite file (replaced) or a PostgreSQL URL (recreated)"
    )
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--transactions-per-account", type=int, default=3, metavar="N")
    parser.add_argument("--profile", action="store_true", help="profile the largest closes")
    options = parser.parse_args(argv)
    backend = make_url(bank.database_url(options.db)).get_backend_name()
    RESULTS.mkdir(exist_ok=True)
    sizes = []
    for accounts in options.accounts:
        profile = None
        if options.profile and accounts == max(options.accounts):
            profile = RESULTS / f"end_of_day-{backend}-profile.txt"
        sizes.append(
            await measure_size(options.db, accounts, options.transactions_per_account, profile)
        )
        print(table(sizes[-1]))
    print()
    for size in sizes:
        print(table(size))
    write_figures(
        RESULTS / f"end_of_day-{backend}.json",
        _round(
            {
                "database": backend,
                "memory": "resident set of the child process doing the work, sampled"
                " every 5 ms from /proc/self/statm: before the work (imports done) and"
                " its peak during the work; ru_maxrss is the process's own high-water mark",
                "sizes": sizes,
            }
        ),
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(asyncio.run(main(sys.argv[1:])))
