"""What every reliability scenario stands on: a small bank, a real server, the checks.

``reliability/`` is a folder of scripts, as ``benchmarks/`` is: each scenario
runs alone (``.venv/bin/python reliability/bank_workload.py --db ...``) and
imports its neighbours by their bare names. The bank generator
(``benchmarks/bank.py``) and the server runner (``benchmarks/server.py``) are
the benchmarks' own, so the two folders stand on the same ground; this module
puts that folder on ``sys.path``.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHMARKS = HERE.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import bank  # noqa: E402
from figures import write_figures  # noqa: E402
from ledger_checks import BROKEN_RUNS, LAST_BALANCE_DRIFTS, NEGATIVE  # noqa: E402
from server import Server, served, sign_in  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from core.db import Mode  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import load_settings  # noqa: E402
from plugins.finance.ledger import check_ledger  # noqa: E402
from plugins.finance.models import Account  # noqa: E402

__all__ = [
    "RESULTS",
    "Server",
    "SmallBank",
    "balances_body",
    "balances_in",
    "bank",
    "entry_of",
    "global_id",
    "invariants",
    "last_entry",
    "report",
    "served",
    "sign_in",
    "small_bank",
    "transfer_body",
    "workers_for",
]

TRACE_MARKERS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "sqlite3", "SELECT ", "INSERT ")
"""What a response must never carry: a stack trace, a driver's name, SQL."""


def global_id(type_name: str, key: int) -> str:
    """The relay ID the API gives the row ``key`` of ``type_name``."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


TRANSFER = """
mutation($input: TransferInput!) {
  transfer(input: $input) { transfer { id } errors { code message } }
}
"""


def transfer_body(source: str, target: str, amount: Decimal | int, key: str) -> dict[str, Any]:
    """The request body of one transfer between two accounts' relay IDs."""
    return {
        "query": TRANSFER,
        "variables": {
            "input": {
                "fromAccountId": source,
                "toAccountId": target,
                "amount": str(amount),
                "idempotencyKey": key,
            }
        },
    }


def balances_body(account_ids: list[str]) -> dict[str, Any]:
    """One query reading every account's balance: one request, one snapshot."""
    fields = " ".join(
        f'a{i}: account(id: "{account}") {{ balance {{ amount }} }}'
        for i, account in enumerate(account_ids)
    )
    return {"query": f"query Balances {{ {fields} }}"}


def balances_in(answer: dict[str, Any]) -> list[Decimal]:
    """The balances a :func:`balances_body` query answered, in order."""
    data = answer["data"]
    return [Decimal(data[f"a{i}"]["balance"]["amount"]) for i in range(len(data))]


def entry_of(transfer_id: str) -> int:
    """The journal entry behind a ``Transfer``'s relay ID."""
    type_name, _, key = base64.b64decode(transfer_id).decode().partition(":")
    if type_name != "Transfer":
        raise ValueError(f"not a transfer: {transfer_id}")
    return int(key)


LAST_ENTRY = text("SELECT coalesce(max(id), 0) FROM finance_journal_entry")


async def last_entry(url: str) -> int:
    """The last journal entry's id: what a scenario posts comes after it."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(LAST_ENTRY))
    finally:
        await engine.dispose()


def workers_for(url: str) -> int:
    """Worker processes for the server: two on PostgreSQL (one per core); one on
    SQLite, whose writers queue in the process (``core.db.SerializedSession``)."""
    return 1 if make_url(url).get_backend_name() == "sqlite" else 2


@dataclass(frozen=True)
class SmallBank:
    """A bank built by ``benchmarks/bank.py`` and the customer accounts a scenario
    moves money between, with their total at the start."""

    url: str
    accounts: list[int]
    total: Decimal

    @property
    def account_ids(self) -> list[str]:
        return [global_id("Account", account) for account in self.accounts]


async def small_bank(
    target: str | Path,
    accounts: int = 8,
    *,
    customers: int | None = None,
    transactions_per_account: int = 3,
) -> SmallBank:
    """A fresh bank at ``target`` (a SQLite path or a PostgreSQL URL) of ``customers``
    (by default just enough to hold them) and the first ``accounts`` of their
    accounts, ``transactions_per_account`` transactions each."""
    needed = -(-accounts // bank.ACCOUNTS_PER_CUSTOMER)
    built = await bank.build(
        target, max(customers or 0, needed), transactions_per_account=transactions_per_account
    )
    runtime = Runtime.create(load_settings(database_url=built.url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            rows = (
                await session.execute(
                    select(Account.id, Account.balance)
                    .where(Account.customer_id.is_not(None))  # type: ignore[union-attr]
                    .order_by(Account.id)
                    .limit(accounts)
                )
            ).all()
    finally:
        await runtime.close()
    return SmallBank(
        built.url, [row.id for row in rows], sum((row.balance for row in rows), Decimal(0))
    )


async def invariants(the_bank: SmallBank) -> dict[str, dict[str, Any]]:
    """The ledger's invariants, read in the database itself, each with what it
    should be and what was found: the books balance, every entry sums to zero,
    every account equals its postings and its last running balance, every
    posting follows the one before it (no lost update), no customer balance is
    negative, and the scenario's accounts still hold their total."""
    runtime = Runtime.create(load_settings(database_url=the_bank.url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            ledger = await check_ledger(session)
            connection = await session.connection()
            balances = await session.scalars(
                select(Account.balance).where(Account.id.in_(the_bank.accounts))  # type: ignore[union-attr]
            )
            total = sum(balances, Decimal(0))
            negative = await connection.scalar(NEGATIVE)
            last_drifts = await connection.scalar(LAST_BALANCE_DRIFTS)
            broken = await connection.scalar(BROKEN_RUNS)
    finally:
        await runtime.close()
    checks = {
        "ledger total is zero": (0, ledger.total),
        "entries not summing to zero": (0, len(ledger.unbalanced_entries)),
        "accounts whose balance is not the sum of their postings": (
            0,
            len(ledger.drifted_accounts),
        ),
        "accounts whose balance is not their last balance_after": (0, last_drifts),
        "postings not following the one before (lost updates)": (0, broken),
        "negative customer balances": (0, negative),
        "the accounts' total": (the_bank.total, total),
    }
    return {
        name: {"expected": str(expected), "found": str(found), "kept": expected == found}
        for name, (expected, found) in checks.items()
    }


def leaks_internals(text_: str) -> bool:
    """Whether a response body shows a stack trace, a driver or SQL."""
    return any(marker in text_ for marker in TRACE_MARKERS)


def report(name: str, url: str, figures: dict[str, Any]) -> Path:
    """Print ``figures`` and keep them in ``reliability/results/<name>-<database>.json``."""
    backend = make_url(url).get_backend_name()
    print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    return write_figures(RESULTS / f"{name}-{backend}.json", {"database": backend, **figures})
