"""How fast a segment evaluates over many customers on SQLite.

    .venv/bin/python benchmarks/segment.py [--customers 100000] [--repeat 7] [--explain]

Builds a fresh SQLite database with the project's migrations, fills it in bulk
(customers with birth dates, tiers and tags; their contacts; deposit accounts
with postings over the last 90 days; a campaign whose members bought a
product), then evaluates realistic segments the way the API does
(``audience_of`` counted for ``Segment.size``, a keyset page for
``Segment.members``), several times each. It prints a table of medians and
95th percentiles beside a hand-written SQL count (the floor), and writes the
numbers to ``benchmarks/results/segment.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from figures import RESULTS, write_figures
from sqlalchemy import bindparam, create_engine, event, insert, select, text
from sqlalchemy.engine import Connection
from timing import summary, timed

from core import migrations
from core.authorization import Principal, Role
from core.columns import UTCDateTime
from core.db import Mode
from core.pagination import count, keyset_page
from core.runtime import Runtime
from core.settings import load_settings
from plugins.customer.models import (
    ContactChannel,
    ContactDirection,
    Customer,
    CustomerKind,
    CustomerStatus,
    CustomerTag,
    CustomerTier,
    Interaction,
    RiskProfile,
)
from plugins.finance.models import (
    Account,
    AccountKind,
    AccountStatus,
    JournalEntry,
    Product,
)
from plugins.marketing.audience import audience_of
from plugins.marketing.criteria import Calendar
from plugins.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    MarketingProduct,
    Membership,
    MembershipStatus,
)
from plugins.security.models import Branch, User

BRANCHES = 20
MANAGERS_PER_BRANCH = 10
CHUNK = 20_000
TAGS = ("高净值", "退休", "企业主", "代发工资", "理财偏好")
TIERS = (
    (CustomerTier.MASS, 0.70),
    (CustomerTier.AFFLUENT, 0.18),
    (CustomerTier.WEALTH, 0.10),
    (CustomerTier.PRIVATE, 0.02),
)


@dataclass(frozen=True)
class Case:
    """A segment to evaluate: its saved rules, and the same count written by hand."""

    name: str
    rules: dict[str, Any]
    floor: str
    """Raw SQL counting the same customers, with the parameters of :func:`floor_binds`."""


HOLDS = """EXISTS (SELECT 1 FROM finance_account a JOIN finance_product p ON p.id = a.product_id
  WHERE a.customer_id = c.id AND p.code = '{code}' AND a.currency = 'CNY'
  AND a.status != 'CLOSED')"""
HOLDS_DEMAND = HOLDS.format(code="DEMAND-CNY")
HOLDS_FIXED = HOLDS.format(code="FIXED-CNY")
NOT_CONTACTED = """NOT EXISTS (SELECT 1 FROM customer_interaction i
  WHERE i.customer_id = c.id AND i.occurred_at >= :moment)"""
ACTIVE = "SELECT count(*) FROM customer_customer c WHERE c.status = 'ACTIVE'"


def floor_binds(calendar: Calendar) -> dict[str, Any]:
    today = calendar.today
    return {
        "born_by_30": today.replace(year=today.year - 30).isoformat(),
        "born_by_35": today.replace(year=today.year - 35).isoformat(),
        "born_after_61": today.replace(year=today.year - 61).isoformat(),
        "since": (today - timedelta(days=30)).isoformat(),
        "moment": calendar.start_of(today - timedelta(days=90)),
    }


def cases(today: date) -> list[Case]:
    since = (today - timedelta(days=30)).isoformat()
    contacted_before = (today - timedelta(days=90)).isoformat()
    return [
        Case(
            "tier+assets+age",
            {"tier": ["WEALTH", "PRIVATE"], "assets_from": "500000", "age_from": 35, "age_to": 60},
            """SELECT count(*) FROM customer_customer c LEFT JOIN (
                 SELECT customer_id, sum(balance) AS amount FROM finance_account
                 WHERE customer_id IS NOT NULL AND currency = 'CNY' AND status != 'CLOSED'
                 GROUP BY customer_id) a ON a.customer_id = c.id
               WHERE c.status = 'ACTIVE' AND c.tier IN ('WEALTH', 'PRIVATE')
                 AND coalesce(a.amount, 0) >= 50000000
                 AND c.birth_date <= :born_by_35 AND c.birth_date > :born_after_61""",
        ),
        Case(
            "holds X, not Y",
            {"holds_products": ["DEMAND-CNY"], "lacks_products": ["FIXED-CNY"]},
            " ".join((ACTIVE, "AND", HOLDS_DEMAND, "AND NOT", HOLDS_FIXED)),
        ),
        Case(
            "holds a product sold",
            {"holds_products": ["WM-R2-STEADY"]},
            ACTIVE  # noqa: S608  (constants only)
            + """ AND c.id IN (SELECT m.customer_id FROM marketing_membership m
                 JOIN marketing_campaign k ON k.id = m.campaign_id
                 JOIN marketing_product p ON p.id = k.product_id
                 WHERE p.code = 'WM-R2-STEADY' AND m.status = 'CONVERTED')""",
        ),
        Case(
            "last contact before",
            {"last_contact_before": contacted_before},
            " ".join((ACTIVE, "AND", NOT_CONTACTED)),
        ),
        Case(
            "balance change",
            {"balance_change": {"since": since, "at_most": "-10000"}},
            """SELECT count(*) FROM customer_customer c JOIN (
                 SELECT a.customer_id, sum(p.amount) AS change FROM finance_posting p
                 JOIN finance_account a ON a.id = p.account_id
                 WHERE a.customer_id IS NOT NULL AND p.currency = 'CNY' AND p.value_date >= :since
                 GROUP BY a.customer_id) x ON x.customer_id = c.id
               WHERE c.status = 'ACTIVE' AND x.change <= -1000000""",
        ),
        Case(
            "all combined",
            {
                "tier": ["AFFLUENT", "WEALTH"],
                "tags": ["理财偏好"],
                "age_from": 30,
                "lacks_products": ["FIXED-CNY"],
                "last_contact_before": contacted_before,
                "balance_change": {"since": since, "at_least": "0"},
            },
            " ".join((ACTIVE, "AND NOT", HOLDS_FIXED, "AND", NOT_CONTACTED))  # noqa: S608
            + """ AND c.tier IN ('AFFLUENT', 'WEALTH')
               AND EXISTS (SELECT 1 FROM customer_tag t
                 WHERE t.customer_id = c.id AND t.tag = '理财偏好')
               AND c.birth_date <= :born_by_30
               AND coalesce((SELECT sum(p.amount) FROM finance_posting p
                 JOIN finance_account a ON a.id = p.account_id
                 WHERE a.customer_id = c.id AND p.currency = 'CNY'
                   AND p.value_date >= :since), 0) >= 0""",
        ),
    ]


# ---------------------------------------------------------------- the data


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk(connection: Connection, model: type, rows: Iterator[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``model``'s table, executemany in chunks; how many."""
    table = model.__table__  # type: ignore[attr-defined]
    done = 0
    for batch in chunks(rows):
        connection.execute(insert(table), batch)
        done += len(batch)
    return done


def fill(path: Path, customers: int, today: date, seed: int) -> dict[str, int]:
    """Customers and what hangs off them, straight into the tables (set-based)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible data, not secrets)
    engine = create_engine(f"sqlite:///{path}")
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        counts["branches"] = bulk(
            connection,
            Branch,
            (
                {"id": b, "code": f"BR-{b:03d}", "name": f"分行{b}", "created_at": now}
                for b in range(1, BRANCHES + 1)
            ),
        )
        managers = [
            (b, b * 100 + m) for b in range(1, BRANCHES + 1) for m in range(MANAGERS_PER_BRANCH)
        ]
        counts["staff"] = bulk(
            connection,
            User,
            (
                {
                    "id": user_id,
                    "username": f"rm{user_id}",
                    "display_name": f"客户经理{user_id}",
                    "password_hash": "-",
                    "branch_id": branch_id,
                    "is_active": True,
                    "created_at": now,
                }
                for branch_id, user_id in managers
            ),
        )
        tiers = rng.choices([t for t, _ in TIERS], [w for _, w in TIERS], k=customers)
        people = []
        for i in range(1, customers + 1):
            branch_id, manager_id = managers[rng.randrange(len(managers))]
            corporate = i % 20 == 0
            people.append(
                {
                    "id": i,
                    "customer_no": f"C{i:010d}",
                    "kind": CustomerKind.CORPORATE if corporate else CustomerKind.INDIVIDUAL,
                    "name": f"客户{i}",
                    "id_number": f"{i:018d}",
                    "birth_date": None
                    if corporate
                    else today - timedelta(days=rng.randrange(18 * 365, 90 * 365)),
                    "phone": f"139{i:08d}",
                    "branch_id": branch_id,
                    "relationship_manager_id": manager_id if rng.random() < 0.8 else None,
                    "tier": tiers[i - 1],
                    "risk_profile": rng.choice(list(RiskProfile)) if rng.random() < 0.7 else None,
                    "status": CustomerStatus.CLOSED
                    if rng.random() < 0.03
                    else CustomerStatus.ACTIVE,
                    "created_at": now,
                }
            )
        counts["customers"] = bulk(connection, Customer, iter(people))
        counts["tags"] = bulk(
            connection,
            CustomerTag,
            (
                {"customer_id": i, "tag": tag}
                for i in range(1, customers + 1)
                for tag in rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2)))
            ),
        )
        counts["contacts"] = bulk(
            connection,
            Interaction,
            (
                {
                    "customer_id": i,
                    "channel": ContactChannel.CALL,
                    "direction": ContactDirection.OUTBOUND,
                    "summary": "回访",
                    "staff_id": managers[0][1],
                    "occurred_at": now - timedelta(minutes=rng.randrange(60 * 24 * 365)),
                    "created_at": now,
                }
                for i in range(1, customers + 1)
                for _ in range(rng.choice((0, 1, 2, 3, 4)))
            ),
        )
        counts.update(_finance(connection, rng, customers, today, now))
        counts.update(_conversions(connection, rng, customers, now))
    engine.dispose()
    return counts


def _finance(
    connection: Connection, rng: random.Random, customers: int, today: date, now: datetime
) -> dict[str, int]:
    """A demand deposit for 85 % of customers, a fixed one for 25 %; each
    demand deposit opened within the last 90 days with a deposit, and half of
    them moved once in the last 30 (a fall or a rise), against the cash account."""
    products = dict(connection.execute(select(Product.code, Product.id)).all())  # type: ignore[call-overload]
    cash_id = connection.execute(
        insert(Account.__table__).values(  # type: ignore[attr-defined]
            account_no="9" * 19, internal="CASH", currency="CNY", opened_on=today, opened_at=now
        )
    ).inserted_primary_key[0]
    accounts, entries, postings = [], [], []
    account_id, entry_id = cash_id, 0
    for customer_id in range(1, customers + 1):
        for code, kind, share in (
            ("DEMAND-CNY", AccountKind.DEMAND, 0.85),
            ("FIXED-CNY", AccountKind.FIXED, 0.25),
        ):
            if rng.random() >= share:
                continue
            account_id += 1
            opened = today - timedelta(days=rng.randrange(31, 90))
            moves = [(opened, rng.randrange(1_000, 2_000_000) * 100)]
            if kind is AccountKind.DEMAND and rng.random() < 0.5:
                moves.append(
                    (
                        today - timedelta(days=rng.randrange(0, 30)),
                        rng.randrange(-50_000, 50_000) * 100,
                    )
                )
            balance = 0
            for day, fen in moves:
                fen = max(fen, -balance)
                balance += fen
                entry_id += 1
                entries.append(
                    {"id": entry_id, "kind": "DEPOSIT", "value_date": day, "created_at": now}
                )
                for account, amount in ((account_id, fen), (cash_id, -fen)):
                    postings.append(
                        {
                            "entry_id": entry_id,
                            "account_id": account,
                            "kind": "DEPOSIT",
                            "currency": "CNY",
                            "amount": amount,
                            "balance_after": balance if account == account_id else 0,
                            "value_date": day,
                            "posted_at": now,
                        }
                    )
            accounts.append(
                {
                    "id": account_id,
                    "account_no": f"{account_id:019d}",
                    "customer_id": customer_id,
                    "kind": kind,
                    "product_id": products[code],
                    "currency": "CNY",
                    "status": AccountStatus.ACTIVE if rng.random() < 0.97 else AccountStatus.CLOSED,
                    "balance": balance,
                    "opened_on": opened,
                    "opened_at": now,
                }
            )
    # Money columns (MinorUnits) take Decimal; these rows carry fen, so go under the ORM types.
    for batch in chunks(iter(accounts)):
        connection.exec_driver_sql(
            "INSERT INTO finance_account (id, account_no, customer_id, kind, product_id, currency,"
            " status, credits_blocked, balance, held, annual_rate, accrual, opened_on, opened_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, 0, 0, ?, ?)",
            [
                (
                    a["id"],
                    a["account_no"],
                    a["customer_id"],
                    a["kind"].name,
                    a["product_id"],
                    a["currency"],
                    a["status"].name,
                    a["balance"],
                    a["opened_on"].isoformat(),
                    a["opened_at"].replace(tzinfo=None).isoformat(sep=" "),
                )
                for a in batch
            ],
        )
    bulk(connection, JournalEntry, iter(entries))
    for batch in chunks(iter(postings)):
        connection.exec_driver_sql(
            "INSERT INTO finance_posting (entry_id, account_id, kind, currency, amount,"
            " balance_after, value_date, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p["entry_id"],
                    p["account_id"],
                    p["kind"],
                    p["currency"],
                    p["amount"],
                    p["balance_after"],
                    p["value_date"].isoformat(),
                    p["posted_at"].replace(tzinfo=None).isoformat(sep=" "),
                )
                for p in batch
            ],
        )
    return {
        "accounts": len(accounts) + 1,
        "journal entries": len(entries),
        "postings": len(postings),
    }


def _conversions(
    connection: Connection, rng: random.Random, customers: int, now: datetime
) -> dict[str, int]:
    """A completed campaign for WM-R2-STEADY that targeted 20 % of customers;
    a quarter of them bought it."""
    product_id = connection.execute(
        select(MarketingProduct.id).where(MarketingProduct.code == "WM-R2-STEADY")
    ).scalar_one()
    campaign_id = connection.execute(
        insert(Campaign.__table__).values(  # type: ignore[attr-defined]
            name="稳健理财推广",
            status=CampaignStatus.COMPLETED.name,
            channel=CampaignChannel.PHONE.name,
            product_id=product_id,
            created_by=BRANCHES * 100,
            created_at=now,
        )
    ).inserted_primary_key[0]
    members = bulk(
        connection,
        Membership,
        (
            {
                "campaign_id": campaign_id,
                "customer_id": i,
                "status": MembershipStatus.CONVERTED
                if rng.random() < 0.25
                else MembershipStatus.DECLINED,
                "targeted_at": now - timedelta(days=60),
            }
            for i in range(1, customers + 1)
            if rng.random() < 0.2
        ),
    )
    return {"campaign members": members}


# ---------------------------------------------------------------- measuring


async def evaluate(runtime: Runtime, repeat: int, explain: bool) -> list[dict[str, Any]]:
    settings = runtime.settings
    calendar = Calendar.of(settings)
    head_office = Principal(
        user_id=0,
        username="benchmark",
        roles=frozenset({Role.MARKETING}),
        branch_id=None,
        permissions=frozenset(),
    )
    results = []
    for case in cases(calendar.today):
        audience = audience_of(case.rules, head_office, runtime.plugins, calendar=calendar)
        members = select(Customer).where(Customer.id.in_(audience))  # type: ignore[union-attr]
        binds = floor_binds(calendar)
        floor = text(case.floor).bindparams(
            *(
                bindparam(name, value, type_=UTCDateTime if name == "moment" else None)
                for name, value in binds.items()
                if f":{name}" in case.floor
            )
        )
        async with runtime.database.transaction(Mode.READ) as session:
            size_times, size = await timed(lambda: count(session, audience), repeat)  # noqa: B023
            page_times, page = await timed(
                lambda: keyset_page(
                    session,
                    members,  # noqa: B023
                    Customer.id,
                    first=50,
                    after=None,
                    maximum=100,  # type: ignore[arg-type]
                ),
                repeat,
            )
            floor_times, floor_size = await timed(
                lambda: session.scalar(floor),  # noqa: B023
                repeat,
            )
            if explain:
                await explained(runtime, session, case.name, lambda: count(session, audience))  # noqa: B023
        results.append(
            {
                "segment": case.name,
                "rules": case.rules,
                "matched": size,
                "floor_matched": floor_size,
                "page_rows": len(page.rows),
                "size": summary(size_times, 1),
                "first_page": summary(page_times, 1),
                "raw_sql_floor": summary(floor_times, 1),
            }
        )
    return results


async def explained(
    runtime: Runtime, session: Any, name: str, call: Callable[[], Awaitable[Any]]
) -> None:
    """Print SQLite's plan for the statement ``call`` sends, as sent."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    connection = await session.connection()
    for statement, parameters in sent:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        print(f"\n-- {name}\n{statement}\n{parameters}")
        for row in plan:
            print("   ", row[-1])


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'segment':<22}{'matched':>9}{'size med':>10}{'p95':>8}"
        f"{'page med':>10}{'p95':>8}{'floor med':>11}{'p95':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        mark = (
            "" if r["matched"] == r["floor_matched"] else f"  (floor counts {r['floor_matched']})"
        )
        lines.append(
            f"{r['segment']:<22}{r['matched']:>9}"
            f"{r['size']['median_ms']:>10}{r['size']['p95_ms']:>8}"
            f"{r['first_page']['median_ms']:>10}{r['first_page']['p95_ms']:>8}"
            f"{r['raw_sql_floor']['median_ms']:>11}{r['raw_sql_floor']['p95_ms']:>8}{mark}"
        )
    return "\n".join(lines) + "\n(times in ms; size = Segment.size, page = first 50 members)"


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="timings per measure")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN QUERY PLAN")
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = options.keep or Path(folder) / "segment.db"
        if path.exists():
            path.unlink()
        runtime = Runtime.create(load_settings(database_url=f"sqlite+aiosqlite:///{path}"))
        started = time.perf_counter()
        await migrations.upgrade(runtime.database, runtime.plugins)
        migrated = time.perf_counter() - started
        started = time.perf_counter()
        counts = fill(path, options.customers, runtime.settings.today(), options.seed)
        filled = time.perf_counter() - started
        with sqlite3.connect(path) as analysed:  # as an operator would after a bulk load
            analysed.execute("ANALYZE")
        print(
            f"migrated in {migrated:.1f} s; filled in {filled:.1f} s: "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
        )
        try:
            results = await evaluate(runtime, options.repeat, options.explain)
        finally:
            await runtime.close()
    print(table(results))
    write_figures(
        RESULTS / "segment.json",
        {
            "customers": options.customers,
            "repeat": options.repeat,
            "rows": counts,
            "fill_seconds": round(filled, 1),
            "sqlite": sqlite3.sqlite_version,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
