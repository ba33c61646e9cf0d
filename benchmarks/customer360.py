"""Customer 360: the headline query against its floor, on a realistic bank.

    .venv/bin/python benchmarks/customer360.py [--customers 100000] [--db PATH_OR_URL [--reuse]]
        [--repeat 30] [--profile]

Builds a bank with ``benchmarks/bank.py`` (or reuses one with ``--reuse``),
signs in as the head-office ``admin`` and asks for one customer
(``customer(id:)``) and for pages of 10, 50 and 100 customers
(``customers(first:)``), each with their accounts and the last 10
transactions of each, their campaigns, open tickets, manager and branch:

- in-process: through the Starlette app over httpx's ASGI transport, with the
  SQL statements per request counted (``before_cursor_execute``);
- over HTTP: the same request to ``crm serve`` started in a subprocess on a
  free port of 127.0.0.1;
- the floor: the same rows fetched with hand-written SQL (one statement per
  table: the page, its accounts, their last 10 postings, memberships, open
  tickets; the last 10 postings of each account by a correlated subquery
  with LIMIT on SQLite, LATERAL on PostgreSQL) through SQLAlchemy Core
  without the ORM, and serialised with orjson into the same JSON, checked to
  equal the API's answer once parsed.

It prints median and 95th percentile latencies with their ratio to the floor
and writes ``benchmarks/results/customer360-<database>.json``; ``--profile``
also writes profiles of the page of 100 in-process (pyinstrument's call tree
and cProfile's own time by package) to ``customer360-<database>-profile.txt``
beside it (``pip install pyinstrument`` first: it is not a dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import pstats
import sys
import tempfile
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import bank
import httpx
import orjson
from figures import RESULTS, write_figures
from server import SECRET, UNLIMITED, served, sign_in
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from statements import StatementCounter
from timing import summary, timed_in_turn

from core.app import create_app, settle_garbage_collector
from core.runtime import Runtime
from core.settings import load_settings

"""``customer360-<database>.json`` and ``customer360-<database>-profile.txt`` go here."""
PAGES = (10, 50, 100)

CUSTOMER_360 = """
  id customerNo name tier
  branch { code name }
  relationshipManager { username displayName }
  accounts {
    id accountNo kind status balance { amount currency }
    transactions(first: 10) {
      edges { node { id kind direction amount { amount currency } balanceAfter { amount }
                     valueDate postedAt } }
    }
  }
  campaigns { status campaign { name status } }
  tickets(status: [OPEN, IN_PROGRESS, PENDING_CUSTOMER]) { id ticketNo subject status priority }
"""
ONE = "query One($id: ID!) { customer(id: $id) { %s } }" % CUSTOMER_360  # noqa: UP031
PAGE = "query Page($n: Int!) { customers(first: $n) { edges { node { %s } } } }" % CUSTOMER_360  # noqa: UP031


# ---------------------------------------------------------------- the floor

FLOOR_CUSTOMERS = """
SELECT c.id, c.customer_no, c.name, c.tier, b.code, b.name, u.username, u.display_name
FROM customer_customer c
JOIN security_branch b ON b.id = c.branch_id
LEFT JOIN security_user u ON u.id = c.relationship_manager_id
WHERE {where}
ORDER BY c.created_at DESC, c.id DESC LIMIT :n"""
FLOOR_ACCOUNTS = """
SELECT id, customer_id, account_no, kind, status, currency, balance FROM finance_account
WHERE customer_id IN :ids AND status != 'CLOSED' ORDER BY id"""
FLOOR_POSTINGS_SQLITE = """
SELECT p.id, p.account_id, p.kind, p.amount, p.currency, p.balance_after, p.value_date, p.posted_at
FROM finance_account a
JOIN finance_posting p ON p.id IN (SELECT q.id FROM finance_posting q WHERE q.account_id = a.id
                                   ORDER BY q.id DESC LIMIT 10)
WHERE a.id IN :ids
ORDER BY p.account_id, p.id DESC"""
FLOOR_POSTINGS_POSTGRESQL = """
SELECT p.id, p.account_id, p.kind, p.amount, p.currency, p.balance_after, p.value_date,
       p.posted_at
FROM unnest(CAST(:ids AS integer[])) AS a(id)
CROSS JOIN LATERAL (SELECT * FROM finance_posting q WHERE q.account_id = a.id
                    ORDER BY q.id DESC LIMIT 10) p
ORDER BY p.account_id, p.id DESC"""
FLOOR_MEMBERSHIPS = """
SELECT m.customer_id, m.status, k.name, k.status FROM marketing_membership m
JOIN marketing_campaign k ON k.id = m.campaign_id
WHERE m.customer_id IN :ids ORDER BY m.customer_id, m.id DESC"""
FLOOR_TICKETS = """
SELECT id, customer_id, ticket_no, subject, status, priority FROM service_ticket
WHERE customer_id IN :ids AND status IN ('OPEN', 'IN_PROGRESS', 'PENDING_CUSTOMER')
ORDER BY customer_id, id DESC"""


def global_id(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def moment(value: Any) -> Any:
    """A stored moment as the API writes it: SQLite's naive UTC text made ISO 8601;
    PostgreSQL's aware datetime left to orjson, which writes it so."""
    if isinstance(value, str):
        return f"{value.replace(' ', 'T').removesuffix('.000000')}+00:00"
    return value


def expanding(sql: str) -> Any:
    statement = text(sql)
    return statement.bindparams(bindparam("ids", expanding=True)) if ":ids" in sql else statement


class Floor:
    """The same rows as the 360 query, by hand: one statement per table."""

    def __init__(self, postgresql: bool) -> None:
        self.postgresql = postgresql
        self.one = text(FLOOR_CUSTOMERS.format(where="c.id = :id"))
        self.page = text(FLOOR_CUSTOMERS.format(where="c.status = 'ACTIVE'"))
        self.accounts = expanding(FLOOR_ACCOUNTS)
        self.postings = (
            text(FLOOR_POSTINGS_POSTGRESQL) if postgresql else expanding(FLOOR_POSTINGS_SQLITE)
        )
        self.memberships = expanding(FLOOR_MEMBERSHIPS)
        self.tickets = expanding(FLOOR_TICKETS)

    async def fetch(self, connection: AsyncConnection, size: int, one: int | None) -> bytes:
        if one is not None:
            customers = (await connection.execute(self.one, {"id": one, "n": 1})).all()
        else:
            customers = (await connection.execute(self.page, {"n": size})).all()
        ids = [c[0] for c in customers]
        accounts = (await connection.execute(self.accounts, {"ids": ids})).all()
        account_ids = [a[0] for a in accounts]
        postings = (await connection.execute(self.postings, {"ids": account_ids})).all()
        memberships = (await connection.execute(self.memberships, {"ids": ids})).all()
        tickets = (await connection.execute(self.tickets, {"ids": ids})).all()

        history: dict[int, list[dict[str, Any]]] = {a: [] for a in account_ids}
        for p in postings:
            history[p[1]].append(
                {
                    "node": {
                        "id": global_id("Transaction", p[0]),
                        "kind": p[2],
                        "direction": "CREDIT" if p[3] > 0 else "DEBIT",
                        "amount": {"amount": money(abs(p[3])), "currency": p[4]},
                        "balanceAfter": {"amount": money(p[5])},
                        "valueDate": p[6],
                        "postedAt": moment(p[7]),
                    }
                }
            )
        held: dict[int, list[dict[str, Any]]] = {c: [] for c in ids}
        for a in accounts:
            held[a[1]].append(
                {
                    "id": global_id("Account", a[0]),
                    "accountNo": a[2],
                    "kind": a[3],
                    "status": a[4],
                    "balance": {"amount": money(a[6]), "currency": a[5]},
                    "transactions": {"edges": history[a[0]]},
                }
            )
        campaigns: dict[int, list[dict[str, Any]]] = {c: [] for c in ids}
        for m in memberships:
            campaigns[m[0]].append({"status": m[1], "campaign": {"name": m[2], "status": m[3]}})
        open_tickets: dict[int, list[dict[str, Any]]] = {c: [] for c in ids}
        for t in tickets:
            open_tickets[t[1]].append(
                {
                    "id": global_id("Ticket", t[0]),
                    "ticketNo": t[2],
                    "subject": t[3],
                    "status": t[4],
                    "priority": t[5],
                }
            )
        nodes = [
            {
                "id": global_id("Customer", c[0]),
                "customerNo": c[1],
                "name": c[2],
                "tier": c[3],
                "branch": {"code": c[4], "name": c[5]},
                "relationshipManager": None
                if c[6] is None
                else {"username": c[6], "displayName": c[7]},
                "accounts": held[c[0]],
                "campaigns": campaigns[c[0]],
                "tickets": open_tickets[c[0]],
            }
            for c in customers
        ]
        if one is not None:
            return orjson.dumps({"data": {"customer": nodes[0] if nodes else None}})
        return orjson.dumps({"data": {"customers": {"edges": [{"node": n} for n in nodes]}}})


def contents(body: dict[str, Any]) -> dict[str, int]:
    """What an answer holds, counted."""
    data = body["data"]
    nodes = (
        [data["customer"]]
        if "customer" in data
        else [edge["node"] for edge in data["customers"]["edges"]]
    )
    accounts = [a for n in nodes for a in n["accounts"]]
    return {
        "customers": len(nodes),
        "accounts": len(accounts),
        "transactions": sum(len(a["transactions"]["edges"]) for a in accounts),
        "memberships": sum(len(n["campaigns"]) for n in nodes),
        "open tickets": sum(len(n["tickets"]) for n in nodes),
    }


# ---------------------------------------------------------------- measuring


def asker(
    http: httpx.AsyncClient, headers: dict[str, str], size: int, one: str | None
) -> Callable[[], Awaitable[bytes]]:
    """A call asking the 360 query; it answers the response body, unparsed (as
    the floor's is: what a client parses is not the server's time)."""
    body = (
        {"query": ONE, "variables": {"id": one}}
        if one is not None
        else {"query": PAGE, "variables": {"n": size}}
    )

    async def ask() -> bytes:
        response = await http.post("/graphql", json=body, headers=headers)
        if response.status_code != 200 or b'"errors":' in response.content:
            raise RuntimeError(f"the API refused the 360 query: {response.text[:500]}")
        return response.content

    return ask


def served_app(runtime: Runtime) -> Any:
    """The app as a server worker holds it, with the garbage collector settled
    (``core.app.app_from_environment``)."""
    app = create_app(runtime)
    settle_garbage_collector()
    return app


CASES = [("one customer", 1)] + [(f"page of {n}", n) for n in PAGES]


async def newest_customer(http: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, int]:
    """The newest customer's global id and database key: the one customer asked for."""
    newest = orjson.loads(await asker(http, headers, 1, None)())["data"]["customers"]["edges"][0]
    one_id = newest["node"]["id"]
    return one_id, int(base64.b64decode(one_id).decode().split(":")[1])


async def statements_per_request(
    ask: Callable[[], Awaitable[bytes]], engine: Engine
) -> tuple[int, bytes]:
    """The SQL statements one request sends once warm (a first request fills the
    caches), and its answer."""
    await ask()
    with StatementCounter().on(engine) as counter:
        answer = await ask()
    return counter.count, answer


async def measure(runtime: Runtime, url: str, repeat: int, log: Path) -> list[dict[str, Any]]:
    app = served_app(runtime)
    engine = runtime.database.engine
    floor = Floor(postgresql=engine.dialect.name == "postgresql")
    counter = StatementCounter()
    results: dict[str, dict[str, Any]] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm.bench"
    ) as http:
        headers = await sign_in(http)
        one_id, one_key = await newest_customer(http, headers)
        async with engine.connect() as connection:
            for name, size in CASES:
                ask = asker(http, headers, size, one_id if name == "one customer" else None)
                statements, _ = await statements_per_request(ask, engine.sync_engine)
                key = one_key if name == "one customer" else None
                fetch = partial(floor.fetch, connection, size, key)
                with counter.on(engine.sync_engine):
                    await fetch()
                (times, answer), (floor_times, body) = await timed_in_turn(
                    (ask, fetch), repeat, warm_up=3
                )
                same_answer = orjson.loads(body) == orjson.loads(answer)
                if not same_answer:
                    print(f"{name}: the floor's answer differs from the API's")
                results[name] = {
                    "case": name,
                    "size": size,
                    "statements": statements,
                    "in_process": summary(times, 2),
                    "rows": contents(orjson.loads(answer)),
                    "response_bytes": len(answer),
                    "floor": summary(floor_times, 2),
                    "floor_statements": counter.count,
                    "floor_bytes": len(body),
                    "same_answer": same_answer,
                }
    async with (
        served(url, log) as server,
        httpx.AsyncClient(base_url=server.base) as http,
        engine.connect() as connection,
    ):
        headers = await sign_in(http)
        for name, size in CASES:
            ask = asker(http, headers, size, one_id if name == "one customer" else None)
            key = one_key if name == "one customer" else None
            fetch = partial(floor.fetch, connection, size, key)
            (times, _), (floor_times, _) = await timed_in_turn((ask, fetch), repeat, warm_up=3)
            results[name]["http"] = summary(times, 2)
            results[name]["floor_beside_http"] = summary(floor_times, 2)
    for result in results.values():
        result["in_process_ratio"] = ratio(result["in_process"], result["floor"])
        result["http_ratio"] = ratio(result["http"], result["floor_beside_http"])
    return list(results.values())


def ratio(measured: dict[str, float], floor: dict[str, float]) -> float:
    """Median over the floor's median, both measured in turn."""
    return round(measured["median_ms"] / floor["median_ms"], 1)


def write(path: Path, content: str) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(content, encoding="utf-8")


def package_of(filename: str) -> str:
    """The library, or the project's package, a profiled function belongs to."""
    for marker in ("site-packages/", f"python{sys.version_info[0]}.{sys.version_info[1]}/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/")[0].removesuffix(".py")
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if filename.startswith(root):
        return "/".join(filename[len(root) :].split("/")[:2]).removesuffix(".py")
    return "(built-ins)" if filename == "~" else filename


async def profile(runtime: Runtime, repeat: int, path: Path) -> None:
    """Profiles of the page of 100, in-process: pyinstrument's call tree, then
    cProfile's own time summed by package (library frames included)."""
    from pyinstrument import Profiler  # only for --profile: not a dependency of the project

    app = served_app(runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://crm.bench"
    ) as http:
        headers = await sign_in(http)
        ask = asker(http, headers, 100, None)
        await ask()
        profiler = Profiler(async_mode="enabled")
        with profiler:
            for _ in range(repeat):
                await ask()
        counted = cProfile.Profile()
        counted.enable()
        for _ in range(repeat):
            await ask()
        counted.disable()
    own: dict[str, float] = {}
    calls: dict[str, int] = {}
    for (filename, _, _), (_, primitive, seconds, _, _) in pstats.Stats(counted).stats.items():  # type: ignore[attr-defined]
        package = package_of(filename)
        own[package] = own.get(package, 0.0) + seconds
        calls[package] = calls.get(package, 0) + primitive
    total = sum(own.values())
    lines = [f"{'package':<28}{'own %':>7}{'calls per request':>20}"]
    for package, seconds in sorted(own.items(), key=lambda item: -item[1])[:20]:
        lines.append(f"{package:<28}{100 * seconds / total:>7.1f}{calls[package] // repeat:>20,}")
    tree = profiler.output_text(unicode=True, time="percent_of_total")
    write(
        path,
        f"{tree}\n\ncProfile, own time by package ({repeat} pages of 100):\n"
        + "\n".join(lines)
        + "\n",
    )
    print("\n".join(lines))
    print(f"profile of {repeat} pages of 100 written to {path}")


def statements_bounded(results: list[dict[str, Any]]) -> bool:
    """The pages' statement counts do not grow with the page size."""
    return len({r["statements"] for r in results if r["case"].startswith("page")}) == 1


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'request':<14}{'stmts':>6}{'floor':>6}{'in-proc med':>12}{'p95':>8}"
        f"{'http med':>10}{'p95':>8}{'floor med':>10}{'p95':>8}{'× in-proc':>10}{'× http':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        mark = "" if r["same_answer"] else "  (the floor's answer differs!)"
        lines.append(
            f"{r['case']:<14}{r['statements']:>6}{r['floor_statements']:>6}"
            f"{r['in_process']['median_ms']:>12}{r['in_process']['p95_ms']:>8}"
            f"{r['http']['median_ms']:>10}{r['http']['p95_ms']:>8}"
            f"{r['floor']['median_ms']:>10}{r['floor']['p95_ms']:>8}"
            f"{r['in_process_ratio']:>10}{r['http_ratio']:>8}{mark}"
        )
    bounded = "do not grow" if statements_bounded(results) else "GROW"
    return (
        "\n".join(lines)
        + f"\nstatements per request {bounded} with the page size"
        + "\n(ms; stmts = SQL statements per request, sign-in check included;"
        + " × = median over the median of the floor, timed in turn with it)"
    )


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite file or PostgreSQL URL (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="use the bank already at --db")
    parser.add_argument("--repeat", type=int, default=30, help="timings per measure")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="profile the page of 100")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        target = options.db or str(Path(folder) / "bank.db")
        url, built = await bank.prepare(
            target, options.customers, reuse=options.reuse and bool(options.db), seed=options.seed
        )
        backend = make_url(url).get_backend_name()
        runtime = Runtime.create(load_settings(database_url=url, secret_key=SECRET, **UNLIMITED))
        try:
            async with runtime.database.engine.connect() as connection:
                customers = await connection.scalar(text("SELECT count(*) FROM customer_customer"))
            results = await measure(runtime, url, options.repeat, Path(folder) / "serve.log")
            if options.profile:
                await profile(
                    runtime, options.repeat, RESULTS / f"customer360-{backend}-profile.txt"
                )
        finally:
            await runtime.close()
    print(table(results))
    write_figures(
        RESULTS / f"customer360-{backend}.json",
        {
            "customers": customers,
            "database": backend,
            "repeat": options.repeat,
            "rows": built.rows if built else None,
            "build_seconds": round(built.total_seconds, 1) if built else None,
            "query": PAGE,
            "statements_bounded": statements_bounded(results),
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
