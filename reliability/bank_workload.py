"""The bank workload, after Jepsen's bank test: money moves, none appears or vanishes.

    .venv/bin/python reliability/bank_workload.py --db PATH_OR_URL
        [--clients 16] [--operations 5000] [--reads 0.5] [--race 50] [--seed 10]

Builds a small bank (``harness.small_bank``: 8 customer accounts and their
total), starts ``crm serve`` on it (two workers on PostgreSQL, one on SQLite)
and runs ``--clients`` HTTP clients at once, each with a connection pool and a
sign-in token of its own, until ``--operations`` operations are done. Each
operation is, at random, either a transfer of 1 to 5 CNY (whole yuan, or with
fen) between two of the 8 accounts with a fresh idempotency key, or, with
probability ``--reads``, one query reading all 8 balances (one request, one
snapshot). Then the race: ``--race`` transfers of 1 CNY from A to B and as many
from B to A, all sent at once (A and B the two richest of the 8).

Every answer is classified: committed, refused (a payload error: a business
refusal such as ``INSUFFICIENT_FUNDS``), or failed by kind (an HTTP status
other than 200, a GraphQL error with its code, a transport error). It checks:

- every read sums to the bank's total, and shows no negative balance;
- no operation fails, and no transfer is refused for any reason but
  ``INSUFFICIENT_FUNDS`` (the accounts are open, the keys fresh, the amounts
  valid); in the race, all ``2 × --race`` transfers commit: no deadlock, nor
  any other error, reaches a client;
- no response body carries a stack trace, a driver's name or SQL;
- in the database afterwards: every transfer a client saw committed is there
  exactly once (its idempotency key points at the entry the client was given,
  a ``TRANSFER`` entry of two postings) and there is no transfer no client saw;
  and ``harness.invariants``: the books balance, every account equals its
  postings and its last running balance, no lost update, no negative balance,
  the 8 accounts still hold their total.

It reports operations, operations per second, the median and 95th percentile
latency per kind of operation, the outcomes by kind and the anomalies (each
kind with a count and a few examples): there should be none. It prints the
figures, keeps them in ``reliability/results/bank-workload-<database>.json``
and exits non-zero if it found an anomaly or a broken invariant.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness
import httpx
from sqlalchemy import text
from timing import summary

from core.db import Mode
from core.runtime import Runtime
from core.settings import load_settings

NAME = "bank-workload"
TIMEOUT = httpx.Timeout(60.0)
REFUSALS = frozenset({"INSUFFICIENT_FUNDS"})
"""The only refusal this workload may meet: open accounts, fresh keys, valid amounts."""
EXAMPLES = 5
"""Examples kept per kind of anomaly."""


# ---------------------------------------------------------------- what the clients saw


@dataclass
class Tally:
    """What every client saw: outcomes, latencies, the transfers committed, the anomalies."""

    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    committed: dict[str, int] = field(default_factory=dict)
    """Idempotency key → the journal entry the client was told it posted."""
    anomalies: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def anomaly(self, kind: str, example: str) -> None:
        self.anomalies[kind] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(example[:300])

    def absorb(self, other: Tally) -> None:
        """Count ``other``'s committed transfers and anomalies as this one's."""
        self.committed.update(other.committed)
        for kind, count in other.anomalies.items():
            self.anomalies[kind] += count
            room = EXAMPLES - len(self.examples[kind])
            self.examples[kind].extend(other.examples[kind][:room])

    @property
    def operations(self) -> int:
        return sum(sum(counts.values()) for counts in self.outcomes.values())

    def figures(self) -> dict[str, Any]:
        return {
            "outcomes": {kind: dict(counts) for kind, counts in self.outcomes.items()},
            "latency_ms": {
                kind: summary(times, 1) for kind, times in self.latencies_ms.items() if times
            },
        }


async def ask(
    http: httpx.AsyncClient, headers: dict[str, str], kind: str, body: dict[str, Any], tally: Tally
) -> dict[str, Any] | None:
    """Send one operation; the GraphQL ``data`` it answered, or None once its
    failure is counted (HTTP status, GraphQL error, transport error)."""
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json=body, headers=headers)
    except httpx.HTTPError as error:
        failure = f"transport: {type(error).__name__}"
        tally.outcomes[kind][f"failed: {failure}"] += 1
        tally.anomaly(f"failed {kind}", f"{failure}: {error}")
        return None
    tally.latencies_ms[kind].append((time.perf_counter() - started) * 1000)
    if harness.leaks_internals(response.text):
        tally.anomaly("response leaks internals", response.text)
    failure = None
    if response.status_code != 200:
        failure = f"HTTP {response.status_code}"
    else:
        answer = response.json()
        if answer.get("errors"):
            error = answer["errors"][0]
            failure = (error.get("extensions") or {}).get("code") or error.get("message", "?")[:60]
    if failure is not None:
        tally.outcomes[kind][f"failed: {failure}"] += 1
        tally.anomaly(f"failed {kind}", f"{failure}: {response.text}")
        return None
    return answer["data"]


async def transfer(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    source: str,
    target: str,
    amount: Decimal,
    tally: Tally,
) -> None:
    """One transfer with a fresh idempotency key, its outcome counted."""
    key = uuid.uuid4().hex
    body = harness.transfer_body(source, target, amount, key)
    data = await ask(http, headers, "transfer", body, tally)
    if data is None:
        return
    payload = data["transfer"]
    if payload["errors"]:
        code = payload["errors"][0]["code"]
        tally.outcomes["transfer"][f"refused: {code}"] += 1
        if code not in REFUSALS:
            tally.anomaly("transfer refused for no business reason", f"{code}: {payload}")
        return
    tally.outcomes["transfer"]["committed"] += 1
    tally.committed[key] = harness.entry_of(payload["transfer"]["id"])


async def read_balances(
    http: httpx.AsyncClient, headers: dict[str, str], the_bank: harness.SmallBank, tally: Tally
) -> list[Decimal] | None:
    """All the accounts' balances in one query, checked against the bank's total."""
    data = await ask(http, headers, "read", harness.balances_body(the_bank.account_ids), tally)
    if data is None:
        return None
    try:
        balances = harness.balances_in({"data": data})
    except (KeyError, TypeError) as error:
        tally.outcomes["read"]["failed: incomplete answer"] += 1
        tally.anomaly("failed read", f"incomplete answer ({error!r}): {data}")
        return None
    tally.outcomes["read"]["ok"] += 1
    if sum(balances, Decimal(0)) != the_bank.total:
        tally.anomaly(
            "read not summing to the total",
            f"{sum(balances, Decimal(0))} != {the_bank.total}: {[str(b) for b in balances]}",
        )
    if any(balance < 0 for balance in balances):
        tally.anomaly("read showing a negative balance", str([str(b) for b in balances]))
    return balances


def amount_between_1_and_5(rng: random.Random) -> Decimal:
    """1 to 5 CNY: whole yuan half the time, else with fen."""
    if rng.random() < 0.5:
        return Decimal(rng.randint(1, 5))
    return Decimal(rng.randint(100, 500)).scaleb(-2)


@dataclass
class Budget:
    """Operations left to hand out among the clients."""

    left: int

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def client(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    the_bank: harness.SmallBank,
    rng: random.Random,
    reads: float,
    budget: Budget,
    tally: Tally,
) -> None:
    """Transfers and reads, one after another, while the budget lasts."""
    accounts = the_bank.account_ids
    while budget.take():
        if rng.random() < reads:
            await read_balances(http, headers, the_bank, tally)
        else:
            source, target = rng.sample(accounts, 2)
            await transfer(http, headers, source, target, amount_between_1_and_5(rng), tally)


async def race(
    http: httpx.AsyncClient,
    tokens: list[dict[str, str]],
    the_bank: harness.SmallBank,
    each_way: int,
    tally: Tally,
) -> dict[str, Any]:
    """``each_way`` transfers of 1 CNY from A to B and as many from B to A, at once,
    A and B the two richest accounts (enough for every order the server may take);
    what ``tally`` (the race's own) saw."""
    balances = await read_balances(http, tokens[0], the_bank, tally)
    if balances is None:
        return {"ran": False}
    richest = sorted(range(len(balances)), key=lambda i: balances[i], reverse=True)[:2]
    a, b = (the_bank.account_ids[i] for i in richest)
    if min(balances[i] for i in richest) < each_way:
        tally.anomaly("race not possible", f"A and B hold {[balances[i] for i in richest]}")
        return {"ran": False}
    started = time.perf_counter()
    await asyncio.gather(
        *(
            transfer(
                http, tokens[n % len(tokens)], *((a, b) if n % 2 else (b, a)), Decimal(1), tally
            )
            for n in range(2 * each_way)
        )
    )
    seconds = time.perf_counter() - started
    committed = tally.outcomes["transfer"]["committed"]
    if committed != 2 * each_way:
        tally.anomaly("race transfers not all committed", f"{committed} of {2 * each_way}")
    return {
        "ran": True,
        "accounts": [the_bank.accounts[i] for i in richest],
        "transfers": 2 * each_way,
        "committed": committed,
        "seconds": round(seconds, 2),
        **tally.figures(),
    }


# ---------------------------------------------------------------- the ledger afterwards


NEW_KEYS = text("SELECT key, entry_id FROM finance_idempotency_key WHERE entry_id > :mark")
NEW_TRANSFERS = text(
    "SELECT e.id, count(p.id) AS postings FROM finance_journal_entry e"
    " LEFT JOIN finance_posting p ON p.entry_id = e.id"
    " WHERE e.id > :mark AND e.kind = 'TRANSFER' GROUP BY e.id"
)


async def check_transfers(url: str, mark: int, tally: Tally) -> dict[str, int]:
    """Every transfer a client saw committed is in the ledger once, as the entry it
    was given with two postings; no other transfer entry appeared."""
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            connection = await session.connection()
            keys = dict((await connection.execute(NEW_KEYS, {"mark": mark})).all())
            postings = dict((await connection.execute(NEW_TRANSFERS, {"mark": mark})).all())
    finally:
        await runtime.close()
    seen = tally.committed
    given = Counter(seen.values())
    faults = {
        "seen committed but not in the ledger as given": sum(
            1 for key, entry in seen.items() if keys.get(key) != entry or entry not in postings
        ),
        "one entry given to two transfers": sum(1 for count in given.values() if count > 1),
        "transfer entries not of two postings": sum(1 for n in postings.values() if n != 2),
        "transfer entries no client saw": len(set(postings) - set(seen.values())),
        "idempotency keys no client saw": len(set(keys) - set(seen)),
    }
    for name, count in faults.items():
        if count:
            tally.anomaly(f"ledger: {name}", str(count))
    return {
        "committed transfers seen by clients": len(seen),
        "transfer entries in the ledger": len(postings),
        **faults,
    }


# ---------------------------------------------------------------- the run


async def run(
    target: str,
    *,
    clients: int = 16,
    operations: int = 5000,
    reads: float = 0.5,
    race_each_way: int = 50,
    seed: int = 10,
    log: Path | None = None,
) -> dict[str, Any]:
    """The workload and the race on a fresh bank at ``target``; their figures."""
    the_bank = await harness.small_bank(target, accounts=8)
    mark = await harness.last_entry(the_bank.url)
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        log = log or Path(folder) / "serve.log"
        async with harness.served(
            the_bank.url, log, workers=harness.workers_for(the_bank.url)
        ) as server:
            https = [
                httpx.AsyncClient(base_url=server.base, timeout=TIMEOUT) for _ in range(clients)
            ]
            racer = httpx.AsyncClient(
                base_url=server.base,
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=2 * race_each_way + 4),
            )
            try:
                tokens = [await harness.sign_in(http) for http in https]
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        client(
                            http,
                            tokens[i],
                            the_bank,
                            random.Random(seed * 1000 + i),  # noqa: S311  (reproducible, no secret)
                            reads,
                            Budget(operations // clients + (i < operations % clients)),
                            tally,
                        )
                        for i, http in enumerate(https)
                    )
                )
                seconds = time.perf_counter() - started
                operations_done = tally.operations
                racing = Tally()
                raced = await race(racer, tokens, the_bank, race_each_way, racing)
                tally.absorb(racing)
            finally:
                for http in [*https, racer]:
                    await http.aclose()
            said = server.said()
    if "Traceback" in said:
        tally.anomaly("server log shows a traceback", said[said.index("Traceback") :])
    ledger = await check_transfers(the_bank.url, mark, tally)
    kept = await harness.invariants(the_bank)
    workload = tally.figures()
    return {
        "accounts": len(the_bank.accounts),
        "total": str(the_bank.total),
        "clients": clients,
        "workers": harness.workers_for(the_bank.url),
        "operations": operations_done,
        "seconds": round(seconds, 2),
        "operations_per_second": round(operations_done / seconds, 1),
        **workload,
        "race": raced,
        "ledger": ledger,
        "server_log": {
            "tracebacks": said.count("Traceback"),
            "deadlocks": said.lower().count("deadlock"),
            "database is locked": said.count("database is locked"),
        },
        "anomalies": dict(tally.anomalies),
        "anomaly_examples": dict(tally.examples),
        "anomaly_count": sum(tally.anomalies.values()),
        "invariants": kept,
        "invariants_kept": all(check["kept"] for check in kept.values()),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file or PostgreSQL URL (replaced)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--operations", type=int, default=5000, help="at least this many")
    parser.add_argument("--reads", type=float, default=0.5, help="the share of reads")
    parser.add_argument("--race", type=int, default=50, help="transfers each way in the race")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--log", type=Path, help="keep crm serve's log here")
    options = parser.parse_args(argv)
    figures = asyncio.run(
        run(
            options.db,
            clients=options.clients,
            operations=options.operations,
            reads=options.reads,
            race_each_way=options.race,
            seed=options.seed,
            log=options.log,
        )
    )
    harness.report(NAME, harness.bank.database_url(options.db), figures)
    return 0 if figures["anomaly_count"] == 0 and figures["invariants_kept"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
