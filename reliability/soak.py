"""The soak: the bank's everyday mix for minutes on end; nothing creeps.

    .venv/bin/python reliability/soak.py --db PATH_OR_URL
        [--minutes 5] [--clients 8] [--customers 300] [--windows 10] [--seed 5]
        [--memory-growth-mb 30] [--latency-drift 1.5] [--cpu-drift 1.5]

Builds a bank of ``--customers`` (``harness.small_bank``: three accounts each,
ten transactions per account, campaigns and tickets), starts ``crm serve`` on it
(two workers on PostgreSQL, one on SQLite) and runs ``--clients`` HTTP clients
at once for ``--minutes``, each with a connection pool and a sign-in of its own,
one operation after another, chosen at random in the proportions of
:data:`MIX`:

- **customer 360**: ``benchmarks/customer360.py``'s headline query for one
  customer (profile, accounts with their last 10 transactions, campaigns, open
  tickets, manager, branch);
- **search**: ``customers(filter:)`` by a customer's number (which must find
  them), by a name, or by tiers in a branch;
- **transfer**: 1 to 5 CNY between two of :data:`POOL` accounts, a fresh
  idempotency key each;
- **ticket update**: on the open tickets, each client working its own share:
  an internal note, a move (OPEN → IN_PROGRESS ⇄ PENDING_CUSTOMER), or an
  assignment to the customer's relationship manager and back to the queue;
- **balances**: the :data:`POOL` accounts' balances in one query, which must
  sum to their total.

The run is cut into ``--windows`` windows of equal length, the first a warm-up
(caches fill, connections open). Per window it keeps the operations and their
outcomes by kind (ok, refused: a business refusal such as
``INSUFFICIENT_FUNDS``, counted apart; failed: an HTTP status, a GraphQL error,
a transport error, a payload error no business rule explains), the median and
95th percentile latency per kind, and, read every half second from outside the
server, its resident memory (the sum over ``crm serve`` and its workers, from
``/proc``), the database connections it holds open (PostgreSQL: its client
backends in ``pg_stat_activity``; SQLite: the server processes' open
descriptors of the database file) and the CPU time it spends (its processes',
and on PostgreSQL its backends'), per operation. It checks:

- no operation failed; every search by number found its customer; every
  balances read summed to the total; no response carries a trace or SQL;
- memory is flat: the median resident set of the last window is at most
  ``--memory-growth-mb`` above the first window after the warm-up's;
- latency does not drift: per kind, the median of the last third of the
  windows is at most ``--latency-drift`` times the first third's (after the
  warm-up; medians pooled over several windows, so one busy moment of a shared
  machine does not decide it); nor does the server's CPU time per operation,
  within ``--cpu-drift`` (CPU time, unlike latency, does not grow when other
  programs take the machine: the steadier witness of a server getting slower);
- connections are bounded: never more than each worker's pool allows (its size
  and overflow), nor than one per request in flight (a leaked connection stays
  open for good, so any leak crosses that bound as the minutes go by); and no
  more than the pool keeps once the load has stopped;
- ``harness.invariants`` at the end: the books balance, no lost update, the
  pool still holds its total.

It prints the figures, keeps them in ``reliability/results/soak-<database>.json``
and exits non-zero if it found an anomaly or a broken invariant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness  # first: it puts benchmarks/ on sys.path

# isort: split
import customer360
import httpx
from cpu import Group, descendants, resident_bytes
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from timing import summary

from core.db import Database, Mode
from core.runtime import Runtime
from core.settings import load_settings
from plugins.customer.models import Customer
from plugins.security.models import Branch
from plugins.service.models import Ticket, TicketStatus

NAME = "soak"
TIMEOUT = httpx.Timeout(60.0)
POOL = 12
"""Customer accounts the transfers move money among (and the balances read)."""
MIX = {
    "customer 360": 0.30,
    "search": 0.20,
    "transfer": 0.25,
    "ticket update": 0.15,
    "balances": 0.10,
}
REFUSALS = frozenset({"INSUFFICIENT_FUNDS"})
"""The only refusal the workload may meet: open accounts, fresh keys, own tickets."""
SAMPLE_EVERY = 0.5
"""Seconds between two readings of the server's memory and connections."""
EXAMPLES = 5
MB = 1024 * 1024

SEARCH = """
query Search($filter: CustomerFilter!) {
  customers(first: 20, filter: $filter) { totalCount edges { node { id customerNo name tier } } }
}
"""
TICKET = "ticket { id status assignee { id } } errors { code message }"
TICKET_MUTATIONS = {
    "transitionTicket": "TransitionTicketInput",
    "commentOnTicket": "CommentOnTicketInput",
    "assignTicket": "AssignTicketInput",
}
MOVES = {
    TicketStatus.OPEN.value: TicketStatus.IN_PROGRESS.value,
    TicketStatus.IN_PROGRESS.value: TicketStatus.PENDING_CUSTOMER.value,
    TicketStatus.PENDING_CUSTOMER.value: TicketStatus.IN_PROGRESS.value,
}
"""Where the soak moves a ticket from each open status: it stays open, for ever."""
OPEN = [TicketStatus(status) for status in MOVES]


def ticket_mutation(name: str) -> str:
    return f"mutation($input: {TICKET_MUTATIONS[name]}!) {{ {name}(input: $input) {{ {TICKET} }} }}"


# ---------------------------------------------------------------- the bank's people


@dataclass
class TicketInHand:
    """An open ticket one client works, as that client last saw it."""

    id: str
    status: str
    assignee: str | None
    manager: str | None
    """The customer's relationship manager: who may be given the ticket."""
    turns: int = 0


@dataclass(frozen=True)
class Scene:
    """What the clients ask about: customers (relay ID, number, name, branch) and
    the open tickets."""

    customers: list[tuple[str, str, str, str]]
    tickets: list[TicketInHand]


async def read_scene(url: str) -> Scene:
    runtime = Runtime.create(load_settings(database_url=url))
    try:
        async with runtime.database.transaction(Mode.READ) as session:
            customers = (
                await session.execute(
                    select(Customer.id, Customer.customer_no, Customer.name, Branch.code)
                    .join(Branch, Branch.id == Customer.branch_id)
                    .order_by(Customer.id)
                )
            ).all()
            tickets = (
                await session.execute(
                    select(
                        Ticket.id,
                        Ticket.status,
                        Ticket.assignee_id,
                        Customer.relationship_manager_id,
                    )
                    .join(Customer, Customer.id == Ticket.customer_id)
                    .where(Ticket.status.in_(OPEN))  # type: ignore[attr-defined]
                    .order_by(Ticket.id)
                )
            ).all()
    finally:
        await runtime.close()

    def user(key: int | None) -> str | None:
        return None if key is None else harness.global_id("User", key)

    return Scene(
        [(harness.global_id("Customer", c[0]), c[1], c[2], c[3]) for c in customers],
        [
            TicketInHand(harness.global_id("Ticket", t[0]), t[1].value, user(t[2]), user(t[3]))
            for t in tickets
        ],
    )


# ---------------------------------------------------------------- what was seen, per window


@dataclass
class Window:
    """One slice of the run: outcomes and latencies per kind, the server's readings."""

    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    resident_mb: list[float] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0
    """The server's CPU seconds since the start, at the window's last reading."""

    @property
    def operations(self) -> int:
        return sum(sum(counts.values()) for counts in self.outcomes.values())

    def figures(self, index: int, seconds: float, cpu_ms: float | None) -> dict[str, Any]:
        outcomes = {kind: dict(counts) for kind, counts in sorted(self.outcomes.items())}
        return {
            "window": index,
            "from_s": round(index * seconds, 1),
            "operations": self.operations,
            "outcomes": outcomes,
            "server_cpu_ms_per_operation": cpu_ms,
            "latency_ms": {
                kind: summary(times, 1) for kind, times in sorted(self.latencies_ms.items())
            },
            "resident_mb": middle(self.resident_mb),
            "connections": max(self.connections, default=None),
        }


def middle(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@dataclass
class Soak:
    """The run's windows, the one an instant falls in, and the anomalies seen."""

    seconds: float
    count: int
    started: float = field(default_factory=time.perf_counter)
    windows: list[Window] = field(default_factory=list)
    anomalies: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.windows = [Window() for _ in range(self.count)]

    @property
    def window_seconds(self) -> float:
        return self.seconds / self.count

    @property
    def over(self) -> bool:
        return time.perf_counter() - self.started >= self.seconds

    def now(self) -> Window:
        index = int((time.perf_counter() - self.started) / self.window_seconds)
        return self.windows[min(index, self.count - 1)]

    def cpu_ms_per_operation(self, indexes: range) -> float | None:
        """The server's CPU milliseconds per operation over these windows."""
        before = self.windows[indexes.start - 1].cpu_seconds if indexes.start else 0.0
        spent = self.windows[indexes.stop - 1].cpu_seconds - before
        done = sum(self.windows[i].operations for i in indexes)
        return round(1000 * spent / done, 2) if done else None

    def anomaly(self, kind: str, example: str) -> None:
        self.anomalies[kind] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(example[:300])

    def outcome(self, kind: str, outcome: str, example: str = "") -> None:
        self.now().outcomes[kind][outcome] += 1
        if outcome.startswith("failed"):
            self.anomaly(f"failed {kind}", f"{outcome}: {example}")


# ---------------------------------------------------------------- the operations


@dataclass
class Client:
    """One client: its HTTP connections, its sign-in, its dice and its tickets."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    rng: random.Random
    tickets: list[TicketInHand]

    async def ask(self, soak: Soak, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Send one operation; the GraphQL ``data`` it answered, or None once its
        failure is counted."""
        started = time.perf_counter()
        try:
            response = await self.http.post("/graphql", json=body, headers=self.headers)
        except httpx.HTTPError as error:
            soak.outcome(kind, f"failed: transport: {type(error).__name__}", str(error))
            return None
        soak.now().latencies_ms[kind].append((time.perf_counter() - started) * 1000)
        if harness.leaks_internals(response.text):
            soak.anomaly("response leaks internals", response.text)
        if response.status_code != 200:
            soak.outcome(kind, f"failed: HTTP {response.status_code}", response.text)
            return None
        answer = response.json()
        if answer.get("errors"):
            error = answer["errors"][0]
            code = (error.get("extensions") or {}).get("code") or error.get("message", "?")[:60]
            soak.outcome(kind, f"failed: {code}", response.text)
            return None
        return answer["data"]

    def settle(self, soak: Soak, kind: str, payload: dict[str, Any]) -> bool:
        """Count a mutation's payload: ok, a business refusal, or a failure."""
        if not payload["errors"]:
            soak.outcome(kind, "ok")
            return True
        code = payload["errors"][0]["code"]
        if code in REFUSALS:
            soak.outcome(kind, f"refused: {code}")
        else:
            soak.outcome(kind, f"failed: {code}", str(payload))
        return False

    async def customer_360(self, soak: Soak, scene: Scene, _: harness.SmallBank) -> None:
        customer = self.rng.choice(scene.customers)[0]
        body = {"query": customer360.ONE, "variables": {"id": customer}}
        data = await self.ask(soak, "customer 360", body)
        if data is None:
            return
        if (data["customer"] or {}).get("id") != customer:
            soak.outcome("customer 360", "failed: wrong customer", str(data)[:200])
            return
        soak.outcome("customer 360", "ok")

    async def search(self, soak: Soak, scene: Scene, _: harness.SmallBank) -> None:
        customer, number, name, branch = self.rng.choice(scene.customers)
        how = self.rng.randrange(3)
        criteria: dict[str, Any] = (
            {"search": number},
            {"search": name},
            {"branchCode": branch, "tier": ["AFFLUENT", "WEALTH", "PRIVATE"]},
        )[how]
        data = await self.ask(soak, "search", {"query": SEARCH, "variables": {"filter": criteria}})
        if data is None:
            return
        found = {edge["node"]["id"] for edge in data["customers"]["edges"]}
        if how == 0 and found != {customer}:
            soak.outcome("search", "failed: number not found", f"{number}: {data}")
            return
        soak.outcome("search", "ok")

    async def transfer(self, soak: Soak, _: Scene, the_bank: harness.SmallBank) -> None:
        source, target = self.rng.sample(the_bank.account_ids, 2)
        amount = Decimal(self.rng.randint(100, 500)).scaleb(-2)
        body = harness.transfer_body(source, target, amount, uuid.uuid4().hex)
        data = await self.ask(soak, "transfer", body)
        if data is not None:
            self.settle(soak, "transfer", data["transfer"])

    async def update_ticket(self, soak: Soak, scene: Scene, the_bank: harness.SmallBank) -> None:
        """The next turn on one of this client's tickets: a note, a move, an assignment."""
        if not self.tickets:
            await self.customer_360(soak, scene, the_bank)
            return
        ticket = self.rng.choice(self.tickets)
        turn = ticket.turns % 3
        ticket.turns += 1
        the_input: dict[str, Any] = {"ticketId": ticket.id}
        if turn == 0:
            name = "commentOnTicket"
            the_input["body"] = f"Called the customer back ({ticket.turns})."
        elif turn == 1:
            name = "transitionTicket"
            the_input["status"] = MOVES[ticket.status]
        else:
            name = "assignTicket"
            the_input["assigneeId"] = ticket.manager if ticket.assignee is None else None
        body = {"query": ticket_mutation(name), "variables": {"input": the_input}}
        data = await self.ask(soak, "ticket update", body)
        if data is not None and self.settle(soak, "ticket update", data[name]):
            seen = data[name]["ticket"]
            ticket.status = seen["status"]
            ticket.assignee = (seen["assignee"] or {}).get("id")

    async def balances(self, soak: Soak, _: Scene, the_bank: harness.SmallBank) -> None:
        data = await self.ask(soak, "balances", harness.balances_body(the_bank.account_ids))
        if data is None:
            return
        balances = harness.balances_in({"data": data})
        if sum(balances, Decimal(0)) != the_bank.total:
            soak.anomaly("balances not summing to the total", str([str(b) for b in balances]))
        soak.outcome("balances", "ok")

    async def work(self, soak: Soak, scene: Scene, the_bank: harness.SmallBank) -> None:
        operations: dict[str, Callable[[Soak, Scene, harness.SmallBank], Awaitable[None]]] = {
            "customer 360": self.customer_360,
            "search": self.search,
            "transfer": self.transfer,
            "ticket update": self.update_ticket,
            "balances": self.balances,
        }
        kinds, weights = list(MIX), list(MIX.values())
        while not soak.over:
            kind = self.rng.choices(kinds, weights)[0]
            await operations[kind](soak, scene, the_bank)


# ---------------------------------------------------------------- the server's readings


class Readings:
    """What the server holds, read from outside it every :data:`SAMPLE_EVERY`
    seconds into the window of the moment: its resident memory (``crm serve``
    and its workers, summed), its database connections and the CPU seconds it
    has spent so far (its processes', and on PostgreSQL its backends')."""

    def __init__(self, url: str, server_pid: int) -> None:
        self.server_pid = server_pid
        parsed = make_url(url)
        self.sqlite_file = (
            Path(parsed.database or "").resolve() if parsed.get_backend_name() == "sqlite" else None
        )
        self.engine: AsyncEngine | None = (
            None if self.sqlite_file else create_async_engine(url, pool_size=1, max_overflow=0)
        )
        self.cpu = Group()

    async def connections(self) -> tuple[int, list[int]]:
        """The connections open, and the PostgreSQL backends serving them.

        On SQLite, the server processes' descriptors of the database file: one
        per connection, but SQLite keeps a closed connection's descriptor while
        another connection of the process holds a lock on the file (closing it
        would drop the process's POSIX locks) and reuses it for the next one, so
        under steady load they count the most connections open at once so far."""
        if self.engine is None:
            return sum(self._descriptors(pid) for pid in descendants(self.server_pid)), []
        async with self.engine.connect() as connection:
            backends = list(await connection.scalars(CLIENT_BACKENDS))
        return len(backends), backends

    def _descriptors(self, pid: int) -> int:
        try:
            entries = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:  # the process has gone
            return 0
        count = 0
        for entry in entries:
            try:
                count += entry.readlink() == self.sqlite_file
            except OSError:  # closed since it was listed
                continue
        return count

    def resident_mb(self, pids: list[int]) -> float:
        total = 0
        for pid in pids:
            try:
                total += resident_bytes(pid)
            except OSError:  # the process has gone
                continue
        return total / MB

    async def read(self, window: Window, *, starting: bool = False) -> None:
        processes = descendants(self.server_pid)
        count, backends = await self.connections()
        self.cpu.see([*processes, *backends], starting=starting)
        window.resident_mb.append(self.resident_mb(processes))
        window.connections.append(count)
        window.cpu_seconds = self.cpu.seconds

    async def keep_reading(self, soak: Soak) -> None:
        await self.read(soak.now(), starting=True)
        while True:
            await asyncio.sleep(SAMPLE_EVERY)
            await self.read(soak.now())

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


CLIENT_BACKENDS = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND backend_type = 'client backend' AND pid != pg_backend_pid()"
)


def pool_limits(url: str, workers: int, clients: int) -> dict[str, int]:
    """The connections the server's pools keep idle, and may hold at most: what
    each worker's pool allows, and no more than one per request in flight (a
    request works in one session; a worker's pool keeps those it needed at once).

    A connection no request gives back stays open for good, so a leak, however
    slow, crosses that bound as the minutes go by: it is the check of no growth."""
    database = Database(load_settings(database_url=url).database)
    pool = database.engine.sync_engine.pool
    kept = pool.size()  # type: ignore[attr-defined]
    allowed = kept + pool._max_overflow  # type: ignore[attr-defined]
    return {"kept": kept * workers, "most": min(allowed, clients) * workers}


# ---------------------------------------------------------------- the checks


def pooled(windows: list[Window], kind: str) -> list[float]:
    return [ms for window in windows for ms in window.latencies_ms.get(kind, [])]


def check(bound: float, found: float | None, **more: Any) -> dict[str, Any]:
    """One check: its bound, what was found (nothing found fails it), and any context."""
    return {"bound": bound, "found": found, **more, "kept": found is not None and found <= bound}


def ratio(after: float | None, before: float | None) -> float | None:
    return round(after / before, 2) if after is not None and before else None


def checks(
    soak: Soak,
    limits: dict[str, int],
    idle_connections: int,
    *,
    sqlite: bool,
    memory_growth_mb: float,
    latency_drift: float,
    cpu_drift: float,
) -> dict[str, dict[str, Any]]:
    """Memory, latency, CPU and connections, each with its bound and what was
    found. Window 0 is the warm-up; early and late are the first and last thirds
    of the others."""
    count = len(soak.windows)
    third = max(1, (count - 1) // 3)
    early, late = range(1, 1 + third), range(count - third, count)
    found: dict[str, dict[str, Any]] = {}
    first, last = middle(soak.windows[1].resident_mb), middle(soak.windows[-1].resident_mb)
    growth = None if first is None or last is None else round(last - first, 1)
    found["memory growth (MB)"] = check(memory_growth_mb, growth, first=first, last=last)
    for kind in MIX:
        before = pooled([soak.windows[i] for i in early], kind)
        after = pooled([soak.windows[i] for i in late], kind)
        early_ms = round(statistics.median(before), 1) if before else None
        late_ms = round(statistics.median(after), 1) if after else None
        found[f"latency drift: {kind}"] = check(
            latency_drift, ratio(late_ms, early_ms), early_ms=early_ms, late_ms=late_ms
        )
    early_cpu, late_cpu = soak.cpu_ms_per_operation(early), soak.cpu_ms_per_operation(late)
    found["server CPU per operation drift"] = check(
        cpu_drift, ratio(late_cpu, early_cpu), early_ms=early_cpu, late_ms=late_cpu
    )
    most = max((n for window in soak.windows for n in window.connections), default=None)
    found["connections at most"] = check(limits["most"], most)
    # SQLite's descriptors are a high-water mark (see Readings.connections).
    found["connections once idle"] = check(
        (most or 0) if sqlite else limits["kept"], idle_connections
    )
    return found


# ---------------------------------------------------------------- the run


async def run(
    target: str,
    *,
    minutes: float = 5.0,
    clients: int = 8,
    customers: int = 300,
    windows: int = 10,
    seed: int = 5,
    memory_growth_mb: float = 30.0,
    latency_drift: float = 1.5,
    cpu_drift: float = 1.5,
    log: Path | None = None,
) -> dict[str, Any]:
    """The soak on a fresh bank at ``target``; its figures."""
    the_bank = await harness.small_bank(
        target, accounts=POOL, customers=customers, transactions_per_account=10
    )
    scene = await read_scene(the_bank.url)
    workers = harness.workers_for(the_bank.url)
    limits = pool_limits(the_bank.url, workers, clients)
    with tempfile.TemporaryDirectory() as folder:
        log = log or Path(folder) / "serve.log"
        async with harness.served(the_bank.url, log, workers=workers) as server:
            readings = Readings(the_bank.url, server.pid)
            https = [
                httpx.AsyncClient(base_url=server.base, timeout=TIMEOUT) for _ in range(clients)
            ]
            try:
                team = [
                    Client(
                        http,
                        await harness.sign_in(http),
                        random.Random(seed * 1000 + i),  # noqa: S311  (reproducible, no secret)
                        scene.tickets[i::clients],
                    )
                    for i, http in enumerate(https)
                ]
                soak = Soak(minutes * 60, windows)
                reading = asyncio.create_task(readings.keep_reading(soak))
                try:
                    await asyncio.gather(*(member.work(soak, scene, the_bank) for member in team))
                finally:
                    reading.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reading  # a reading that failed says so here
                seconds = time.perf_counter() - soak.started
                await asyncio.sleep(2 * SAMPLE_EVERY)
                idle_connections, _ = await readings.connections()
            finally:
                for http in https:
                    await http.aclose()
                await readings.close()
            said = server.said()
    found = checks(
        soak,
        limits,
        idle_connections,
        sqlite=readings.sqlite_file is not None,
        memory_growth_mb=memory_growth_mb,
        latency_drift=latency_drift,
        cpu_drift=cpu_drift,
    )
    for name, result in found.items():
        if not result["kept"]:
            soak.anomaly(name, str(result))
    if said.count("Traceback"):
        soak.anomaly("tracebacks in the server's log", said[said.index("Traceback") :])
    kept = await harness.invariants(the_bank)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for window in soak.windows:
        for kind, counts in window.outcomes.items():
            totals[kind].update(counts)
    operations = sum(sum(counts.values()) for counts in totals.values())
    return {
        "customers": len(scene.customers),
        "open_tickets": len(scene.tickets),
        "pool": len(the_bank.accounts),
        "total": str(the_bank.total),
        "clients": clients,
        "workers": workers,
        "minutes": minutes,
        "seconds": round(seconds, 1),
        "operations": operations,
        "operations_per_second": round(operations / seconds, 1),
        "outcomes": {kind: dict(counts) for kind, counts in sorted(totals.items())},
        "latency_ms": {
            kind: summary(pooled(soak.windows[1:], kind), 1)
            for kind in MIX
            if pooled(soak.windows[1:], kind)
        },
        "pool_limits": limits,
        "checks": found,
        "windows": [
            window.figures(
                index, soak.window_seconds, soak.cpu_ms_per_operation(range(index, index + 1))
            )
            for index, window in enumerate(soak.windows)
        ],
        "anomalies": dict(soak.anomalies),
        "anomaly_examples": dict(soak.examples),
        "anomaly_count": sum(soak.anomalies.values()),
        "invariants": kept,
        "invariants_kept": all(result["kept"] for result in kept.values()),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file or PostgreSQL URL (replaced)")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--windows", type=int, default=10, help="the first is the warm-up")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--memory-growth-mb", type=float, default=30.0)
    parser.add_argument("--latency-drift", type=float, default=1.5)
    parser.add_argument("--cpu-drift", type=float, default=1.5)
    parser.add_argument("--log", type=Path, help="keep crm serve's log here")
    options = parser.parse_args(argv)
    figures = asyncio.run(
        run(
            options.db,
            minutes=options.minutes,
            clients=options.clients,
            customers=options.customers,
            windows=options.windows,
            seed=options.seed,
            memory_growth_mb=options.memory_growth_mb,
            latency_drift=options.latency_drift,
            cpu_drift=options.cpu_drift,
            log=options.log,
        )
    )
    harness.report(NAME, harness.bank.database_url(options.db), figures)
    return 0 if figures["anomaly_count"] == 0 and figures["invariants_kept"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
