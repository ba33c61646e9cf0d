"""Database outage: the database taken away under load, then given back.

    .venv/bin/python reliability/outage.py --db PATH_OR_URL [--clients 8]
        [--before 5] [--outage 8] [--after 10] [--how proxy|stop] [--bound SECONDS]

Builds a small bank (``harness.small_bank``), starts ``crm serve`` on it (two
workers on PostgreSQL, one on SQLite) and runs ``--clients`` HTTP clients, each
signed in with a token of its own, in turns: a transfer of 1 to 5 CNY between
two of the 8 accounts (a fresh idempotency key; the *same* key again while the
answer is a retryable error or none), a customer-360 page of 3 customers
(``benchmarks/customer360.py``'s query), and one query of the 8 balances.
Meanwhile ``/readyz`` is asked every 100 ms. After ``--before`` seconds the
database is taken away for ``--outage`` seconds, then given back, and the
clients go on ``--after`` seconds more.

How the database is taken away:

- PostgreSQL, ``--how proxy`` (the default, and the CI test's): the server
  reaches PostgreSQL through a TCP relay run by this script
  (:class:`DatabaseProxy`) which, for the outage, cuts every relayed
  connection and refuses new ones. The PostgreSQL server itself, which other
  work may share, is never touched.
- PostgreSQL, ``--how stop``: the real thing, for the long form on a machine of
  its own: ``pg_ctlcluster --skip-systemctl-redirect <version> main stop -m
  fast``, then ``start`` (as root, on the machine running PostgreSQL). Every
  client of that PostgreSQL server loses its connections too.
- SQLite (``--how lock``, the only way there): another process holds the
  database's write lock (a write transaction left open, as a batch or a
  ``sqlite3`` shell would). In WAL mode that shuts out every writer, not the
  readers: ``PRAGMA locking_mode=EXCLUSIVE``, which would shut readers out
  too, cannot be had at all while the server keeps its connections (and so
  the WAL index) open; the script records whom the lock shut out. Writers
  wait within the busy timeout, then answer, or fail with ``DATABASE_BUSY``;
  ``/readyz``, whose read gets through, stays ready.

It checks:

- every answer arrives within ``--bound`` seconds (by default the connect
  timeout plus 3 s on PostgreSQL, ``core.db.CONNECT_TIMEOUT_SECONDS``; twice
  the busy timeout plus 3 s on SQLite, a writer's wait for its turn then for
  the lock): nothing hangs;
- every answer is OK (or a business refusal), or a retryable
  ``DATABASE_UNAVAILABLE`` / ``DATABASE_BUSY`` (HTTP 503 with ``Retry-After``
  when nothing could be answered); never another error, never a 5xx but 503,
  never an answer without a body, never a trace, a driver's name or SQL
  (``harness.leaks_internals``); no token is refused;
- ``/readyz`` answers within its bound every time, 503 during the outage
  (when reads cannot get through) and 200 again after it;
- service resumes by itself: an OK answer within ``RECOVERY_SECONDS`` of the
  database's return, and no failure once that time has passed;
- every transfer a client saw committed is in the ledger once (its key points
  at the entry it was answered, no entry has two keys, no transfer entry of
  the run has none), and ``harness.invariants`` hold.

It reports the answers by phase (before, during, after the outage) and
outcome, the slowest answer of each phase, how long after the return the first
OK came (time to recover), what ``/readyz`` said when, and the anomalies
(there should be none). It prints the figures, keeps them in
``reliability/results/outage-<database>.json`` and exits non-zero if it found
an anomaly or a broken invariant.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
import httpx
from customer360 import PAGE as CUSTOMER_360_PAGE
from server import free_port
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.app import READINESS_TIMEOUT_SECONDS
from core.db import CONNECT_TIMEOUT_SECONDS, LOCK_WAIT_MS, Mode
from core.runtime import Runtime
from core.settings import load_settings
from plugins.finance.movements import TRANSFER

NAME = "outage"
RETRYABLE = frozenset({"DATABASE_UNAVAILABLE", "DATABASE_BUSY"})
REFUSALS = frozenset({"INSUFFICIENT_FUNDS"})
OK = "OK"
REFUSED = "refused"
MARGIN_SECONDS = 3.0
"""What a noisy machine may add to a timeout before an answer counts as hung."""
RECOVERY_SECONDS = 10.0
"""How soon after the database's return service must have resumed."""
READYZ_EVERY = 0.1
PAUSE_AFTER_FAILURE = 0.1
"""A client's pause before it retries (shorter than Retry-After: the point is
to keep asking through the outage)."""
KEY_PREFIX = "outage-"


def default_bound(url: str) -> float:
    if make_url(url).get_backend_name() == "sqlite":
        return 2 * LOCK_WAIT_MS / 1000 + MARGIN_SECONDS
    return CONNECT_TIMEOUT_SECONDS + MARGIN_SECONDS


# ---------------------------------------------------------------- taking it away


class DatabaseProxy:
    """A TCP relay from a port of 127.0.0.1 to the database that can be cut:
    :meth:`cut` closes every relayed connection and stops accepting new ones
    (a client's connect is refused), :meth:`restore` accepts again, on the same
    port."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._relayed: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._relayed):
            writer.transport.abort()
        self._relayed.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, upstream_writer}
        self._relayed |= pair
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            self._relayed -= pair
            for end in pair:
                end.transport.abort()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.transport.abort()


@dataclass
class Outage:
    """How the database is taken away and given back, and where the server
    should reach it (``server_url``: through the proxy, or the database)."""

    how: str
    server_url: str
    take_away: Callable[[], Awaitable[None]]
    give_back: Callable[[], Awaitable[None]]
    facts: dict[str, Any] = field(default_factory=dict)
    """What was checked of the outage itself (whom the lock shuts out)."""
    shuts_out_readers: bool = True
    """Whether a read (``/readyz``'s) cannot get through while it lasts."""


@asynccontextmanager
async def proxied(url: str) -> AsyncIterator[Outage]:
    parsed = make_url(url)
    proxy = DatabaseProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.restore()
    server_url = parsed.set(host="127.0.0.1", port=proxy.port)
    try:
        yield Outage(
            "proxy", server_url.render_as_string(hide_password=False), proxy.cut, proxy.restore
        )
    finally:
        await proxy.cut()


async def pg_ctlcluster(action: str) -> None:
    """``pg_ctlcluster`` on this machine's one cluster (``/etc/postgresql/<version>/main``)."""
    [version] = await asyncio.to_thread(os.listdir, "/etc/postgresql")
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    process = await asyncio.create_subprocess_exec(*command)
    if await process.wait() != 0:
        raise RuntimeError(f"{' '.join(command)} failed")


@asynccontextmanager
async def stopped_server(url: str) -> AsyncIterator[Outage]:
    stopped = False

    async def stop() -> None:
        nonlocal stopped
        await pg_ctlcluster("stop")
        stopped = True

    async def start() -> None:
        nonlocal stopped
        await pg_ctlcluster("start")
        stopped = False

    try:
        yield Outage("stop", url, stop, start)
    finally:
        if stopped:
            await start()


HOLD_THE_LOCK = """
import sqlite3, sys, time
holder = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
deadline = time.monotonic() + 30
while True:  # a moment between two of the server's writers
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("CREATE TABLE outage_lock (x INTEGER)")
        break
    except sqlite3.OperationalError:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        if time.monotonic() > deadline:
            raise
        time.sleep(0.001)
print("locked", flush=True)
sys.stdin.readline()
holder.execute("ROLLBACK")
holder.close()
"""
"""Taking the lock waits for no busy handler: under load the gaps between the
server's writers are shorter than SQLite's back-off between tries."""


def shut_out(path: str, statement: str) -> bool:
    """Whether ``statement``, not waiting, finds the database locked."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute(statement).fetchall()
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    return False


@asynccontextmanager
async def locked_by_another_process(url: str) -> AsyncIterator[Outage]:
    path = make_url(url).database
    assert path is not None
    holder: asyncio.subprocess.Process | None = None
    facts: dict[str, Any] = {}

    async def lock() -> None:
        nonlocal holder
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLD_THE_LOCK,
            path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        said = await asyncio.wait_for(holder.stdout.readline(), 30)
        if said.strip() != b"locked":
            raise RuntimeError("the lock holder could not take the lock")
        for who, statement in (
            ("writers", "BEGIN IMMEDIATE"),
            ("readers", "SELECT count(*) FROM finance_account"),
        ):
            facts[f"{who} shut out by the lock"] = await asyncio.to_thread(
                shut_out, path, statement
            )

    async def unlock() -> None:
        nonlocal holder
        if holder is not None:
            assert holder.stdin is not None
            holder.stdin.write(b"\n")
            await holder.stdin.drain()
            await holder.wait()
            holder = None

    try:
        yield Outage("lock", url, lock, unlock, facts, shuts_out_readers=False)
    finally:
        await unlock()


def outage_for(url: str, how: str) -> Any:
    if make_url(url).get_backend_name() == "sqlite":
        return locked_by_another_process(url)
    if how == "stop":
        return stopped_server(url)
    return proxied(url)


# ---------------------------------------------------------------- the clients


@dataclass(frozen=True)
class Answer:
    """One request: what it was, when it started (seconds into the run), how
    long it took and what came of it."""

    kind: str
    started: float
    seconds: float
    outcome: str


@dataclass
class Ask:
    """A transfer with its key, and the entry it was answered with, if any."""

    key: str
    body: dict[str, Any]
    entry: int | None = None


@dataclass
class Run:
    """What everyone saw, on one clock."""

    started: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)
    readiness: list[Answer] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    examples: dict[str, str] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.started


def outcome_of(response: httpx.Response, kind: str, run: Run) -> tuple[str, dict[str, Any] | None]:
    """What an answer was (``OK``, ``refused``, a retryable code, or an anomaly's
    name) and its ``data``."""
    if harness.leaks_internals(response.text):
        run.examples.setdefault("trace in an answer", response.text[:500])
        return "trace in an answer", None
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} without a JSON body", None
    if body.get("errors"):
        code = (body["errors"][0].get("extensions") or {}).get("code", "no code")
        if code not in RETRYABLE:
            run.examples.setdefault(f"error {code}", response.text[:500])
            return f"error {code}", None
        if response.status_code not in (200, 503) or "retry-after" not in response.headers:
            return f"{code} as HTTP {response.status_code} without Retry-After", None
        return code, None
    if response.status_code != 200:
        return f"HTTP {response.status_code}", None
    data = body.get("data") or {}
    if kind == "transfer":
        payload = data["transfer"]
        if payload["errors"]:
            code = payload["errors"][0]["code"]
            return (REFUSED if code in REFUSALS else f"refused {code}"), data
    return OK, data


async def timed(
    run: Run, http: httpx.AsyncClient, kind: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[str, dict[str, Any] | None]:
    """Post ``body``, and keep how long it took and what came of it."""
    started = run.now()
    try:
        response = await http.post("/graphql", json=body, headers=headers)
    except httpx.TimeoutException:
        outcome, data = "no answer (timed out)", None
    except httpx.TransportError as error:
        outcome, data = f"no answer ({type(error).__name__})", None
    else:
        outcome, data = outcome_of(response, kind, run)
    run.answers.append(Answer(kind, started, run.now() - started, outcome))
    return outcome, data


async def client(
    http: httpx.AsyncClient,
    the_bank: harness.SmallBank,
    number: int,
    stop: asyncio.Event,
    run: Run,
    rng: random.Random,
) -> None:
    """Transfer, read a 360 page, read the balances, in turns, until ``stop``; a
    transfer not answered is sent again with its key before anything else."""
    headers = await harness.sign_in(http)
    pending: Ask | None = None
    turn = 0
    while not stop.is_set():
        turn += 1
        if pending is None and turn % 3 == 1:
            source, target = rng.sample(the_bank.account_ids, 2)
            key = f"{KEY_PREFIX}{number}-{uuid.uuid4().hex}"
            pending = Ask(key, harness.transfer_body(source, target, rng.randint(1, 5), key))
            run.asks.append(pending)
        if pending is not None:
            outcome, data = await timed(run, http, "transfer", pending.body, headers)
            if outcome == OK and data is not None:
                pending.entry = harness.entry_of(data["transfer"]["transfer"]["id"])
            if outcome.startswith((OK, "refused")):
                pending = None
        elif turn % 3 == 2:
            body = {"query": CUSTOMER_360_PAGE, "variables": {"n": 3}}
            outcome, _ = await timed(run, http, "customer 360", body, headers)
        else:
            body = harness.balances_body(the_bank.account_ids)
            outcome, _ = await timed(run, http, "balances", body, headers)
        if outcome not in (OK, REFUSED):
            await asyncio.sleep(PAUSE_AFTER_FAILURE)
    deadline = time.monotonic() + RECOVERY_SECONDS
    while pending is not None and time.monotonic() < deadline:  # the last one, to its answer
        outcome, data = await timed(run, http, "transfer", pending.body, headers)
        if outcome == OK and data is not None:
            pending.entry = harness.entry_of(data["transfer"]["transfer"]["id"])
        if outcome not in RETRYABLE and not outcome.startswith("no answer"):
            pending = None
        else:
            await asyncio.sleep(PAUSE_AFTER_FAILURE)


async def poll_readiness(http: httpx.AsyncClient, stop: asyncio.Event, run: Run) -> None:
    while not stop.is_set():
        started = run.now()
        try:
            response = await http.get("/readyz")
            outcome = str(response.status_code)
        except httpx.HTTPError as error:
            outcome = f"no answer ({type(error).__name__})"
        run.readiness.append(Answer("readyz", started, run.now() - started, outcome))
        await asyncio.sleep(READYZ_EVERY)


# ---------------------------------------------------------------- the checks


RUN_KEYS = text(
    "SELECT key, entry_id FROM finance_idempotency_key WHERE key LIKE :prefix"
).bindparams(prefix=f"{KEY_PREFIX}%")
RUN_TRANSFERS = text(
    "SELECT id FROM finance_journal_entry WHERE id > :mark AND kind = :kind"
).bindparams(kind=TRANSFER)


async def read_ledger(url: str, query: Any, **parameters: Any) -> list[Any]:
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            return list(await session.execute(query, parameters))
    finally:
        await runtime.close()


async def transfers_in_the_ledger(url: str, asks: list[Ask], mark: int) -> dict[str, int]:
    """Each way the ledger could disagree with what the clients were answered,
    with how often it does (all should be zero)."""
    keys = {row.key: row.entry_id for row in await read_ledger(url, RUN_KEYS)}
    entries = {row.id for row in await read_ledger(url, RUN_TRANSFERS, mark=mark)}
    pointed = Counter(entry for entry in keys.values() if entry is not None)
    committed = [ask for ask in asks if ask.entry is not None]
    return {
        "committed transfers missing from the ledger": sum(
            keys.get(ask.key) != ask.entry or ask.entry not in entries for ask in committed
        ),
        "journal entries with more than one key": sum(n > 1 for n in pointed.values()),
        "transfer entries of the run without a key": len(entries - set(pointed)),
    }


def phase_of(started: float, away: float, back: float) -> str:
    return "before" if started < away else "during" if started < back else "after"


def examine(
    run: Run, away: float, back: float, bound: float, expect_unready: bool
) -> tuple[dict[str, Any], Counter[str]]:
    """The figures of the answers and of ``/readyz``, and the anomalies."""
    anomalies: Counter[str] = Counter()
    by_phase: dict[str, Counter[str]] = defaultdict(Counter)
    slowest: dict[str, float] = defaultdict(float)
    for answer in run.answers:
        phase = phase_of(answer.started, away, back)
        by_phase[phase][answer.outcome] += 1
        slowest[phase] = max(slowest[phase], answer.seconds)
        if answer.outcome not in (OK, REFUSED, *RETRYABLE):
            anomalies[answer.outcome] += 1
        if answer.seconds > bound:
            anomalies["answers slower than the bound"] += 1
    first_ok = min(
        (a.started + a.seconds for a in run.answers if a.outcome == OK and a.started >= back),
        default=None,
    )
    recovered = first_ok - back if first_ok is not None else None
    if recovered is None or recovered > RECOVERY_SECONDS:
        anomalies["service not resumed after the database's return"] += 1
    anomalies["failures once service should have resumed"] += sum(
        a.outcome not in (OK, REFUSED) for a in run.answers if a.started > back + RECOVERY_SECONDS
    )

    readiness_bound = READINESS_TIMEOUT_SECONDS + MARGIN_SECONDS
    steady = [p for p in run.readiness if away + 0.5 < p.started and p.started + p.seconds < back]
    after = [p for p in run.readiness if p.started >= back]
    unready = [p.started for p in run.readiness if p.started >= away and p.outcome == "503"]
    first_unready = min(unready, default=None)
    ready_again = [p.started + p.seconds for p in after if p.outcome == "200"]
    first_ready_again = min(ready_again, default=None)
    anomalies["/readyz answers slower than its bound"] += sum(
        p.seconds > readiness_bound for p in run.readiness
    )
    anomalies["/readyz answers neither 200 nor 503"] += sum(
        p.outcome not in ("200", "503") for p in run.readiness
    )
    if expect_unready:
        anomalies["/readyz ready while the database was away"] += sum(
            p.outcome == "200" for p in steady
        )
    if expect_unready and first_unready is None:
        anomalies["/readyz never reported the outage"] += 1
    if first_ready_again is None or first_ready_again - back > RECOVERY_SECONDS:
        anomalies["/readyz not ready again after the database's return"] += 1
    if after and after[-1].outcome != "200":
        anomalies["/readyz not ready at the end"] += 1

    figures = {
        "operations": len(run.answers),
        "answers by phase and outcome": {
            phase: dict(by_phase[phase].most_common()) for phase in ("before", "during", "after")
        },
        "slowest answer s by phase": {phase: round(s, 3) for phase, s in slowest.items()},
        "bound s": bound,
        "first OK after the return s": round(recovered, 3) if recovered is not None else None,
        "readyz": {
            "probes": len(run.readiness),
            "answers by phase": {
                phase: dict(
                    Counter(
                        p.outcome for p in run.readiness if phase_of(p.started, away, back) == phase
                    )
                )
                for phase in ("before", "during", "after")
            },
            "first 503 after the take-away s": round(first_unready - away, 3)
            if first_unready is not None
            else None,
            "first 200 after the return s": round(first_ready_again - back, 3)
            if first_ready_again is not None
            else None,
            "slowest s": round(max((p.seconds for p in run.readiness), default=0), 3),
        },
    }
    return figures, anomalies


# ---------------------------------------------------------------- the run


async def run(
    target: str,
    *,
    clients: int = 8,
    before: float = 5.0,
    outage: float = 8.0,
    after: float = 10.0,
    how: str = "proxy",
    bound: float | None = None,
    seed: int = 10,
    log: Path | None = None,
) -> dict[str, Any]:
    the_bank = await harness.small_bank(target)
    bound = bound if bound is not None else default_bound(the_bank.url)
    mark = await harness.last_entry(the_bank.url)
    rng = random.Random(seed)  # noqa: S311
    log = log or Path(tempfile.mkdtemp(prefix="crm-outage-")) / "serve.log"
    the_run = Run()
    async with (
        outage_for(the_bank.url, how) as taken,
        harness.served(taken.server_url, log, workers=harness.workers_for(the_bank.url)) as server,
    ):
        timeout = httpx.Timeout(bound + 10)
        limits = httpx.Limits(max_connections=clients + 4)
        async with (
            httpx.AsyncClient(base_url=server.base, timeout=timeout, limits=limits) as http,
            httpx.AsyncClient(base_url=server.base, timeout=timeout) as probe,
        ):
            stop = asyncio.Event()
            the_run.started = time.monotonic()
            working = [
                asyncio.create_task(
                    client(http, the_bank, n, stop, the_run, random.Random(rng.random()))  # noqa: S311
                )
                for n in range(clients)
            ]
            polling = asyncio.create_task(poll_readiness(probe, stop, the_run))
            try:
                await asyncio.sleep(before)
                await taken.take_away()  # stopping PostgreSQL takes a moment: away once done
                away = the_run.now()
                await asyncio.sleep(outage)
                back = the_run.now()  # and back from the moment it is given back
                await taken.give_back()
                await asyncio.sleep(after)
            finally:
                stop.set()
                finishing = asyncio.gather(*working, polling)
                try:
                    await asyncio.wait_for(finishing, RECOVERY_SECONDS + bound + 10)
                except BaseException:
                    finishing.cancel()
                    raise
        said = server.said()
    expect_unready = taken.shuts_out_readers and outage > READINESS_TIMEOUT_SECONDS + 0.5
    figures, anomalies = examine(the_run, away, back, bound, expect_unready)
    ledger = await transfers_in_the_ledger(the_bank.url, the_run.asks, mark)
    anomalies.update(ledger)
    if taken.facts.get("writers shut out by the lock") is False:
        anomalies["the lock did not shut writers out"] += 1
    figures["tracebacks in the server's log"] = said.count("Traceback")  # logged, never sent
    invariants = await harness.invariants(the_bank)
    found = {name: count for name, count in anomalies.items() if count}
    return {
        "how": taken.how,
        "clients": clients,
        "seconds": {"before": before, "outage": round(back - away, 3), "after": after},
        **figures,
        **taken.facts,
        "transfers": {
            "asked": len(the_run.asks),
            "committed": sum(ask.entry is not None for ask in the_run.asks),
            **ledger,
        },
        "anomalies": found,
        "anomaly_count": sum(found.values()),
        "anomaly_examples": the_run.examples,
        "invariants": invariants,
        "invariants_kept": all(check["kept"] for check in invariants.values()),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file or PostgreSQL URL (replaced)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--before", type=float, default=5.0, help="seconds of load first")
    parser.add_argument("--outage", type=float, default=8.0, help="seconds without the database")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after")
    parser.add_argument(
        "--how",
        choices=("proxy", "stop"),
        default="proxy",
        help="PostgreSQL: cut a relay (proxy) or stop the server itself (stop, as root)",
    )
    parser.add_argument("--bound", type=float, help="seconds within which every answer must come")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--log", type=Path, help="keep crm serve's log here")
    options = parser.parse_args(argv)
    figures = asyncio.run(
        run(
            options.db,
            clients=options.clients,
            before=options.before,
            outage=options.outage,
            after=options.after,
            how=options.how,
            bound=options.bound,
            seed=options.seed,
            log=options.log,
        )
    )
    name = NAME if options.how == "proxy" else f"{NAME}-{options.how}"  # both kept
    harness.report(name, harness.bank.database_url(options.db), figures)
    return 0 if figures["anomaly_count"] == 0 and figures["invariants_kept"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
