"""The end-of-day batch (日终批处理): `crm eod` closes the open business date and
opens the next, each date exactly once, all of a date's work or none of it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from core.business_day import BusinessDay
from core.db import Mode
from core.end_of_day import (
    ClosingDay,
    EndOfDayRun,
    EndOfDayStep,
    Phase,
    close_business_day,
    close_business_days,
    steps_of,
)
from core.errors import ConfigurationError
from core.hookspecs import hookimpl
from core.plugins import PluginInfo
from core.runtime import Runtime
from plugins.finance.models import Account, AccountStatus, Posting
from tests.conftest import GraphQLClient
from tests.plugins.customer.conftest import bank, password_hash  # noqa: F401  (fixtures)
from tests.plugins.finance.conftest import Books, books  # noqa: F401  (a fixture)

CRM = str(Path(sys.executable).with_name("crm"))
MARCH_10 = date(2026, 3, 10)


# -- the calendar, straight in the tables ---------------------------------------------------


async def make_open(runtime: Runtime, day: date) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(delete(BusinessDay))
        session.add(BusinessDay(open_date=day))


async def open_date(runtime: Runtime) -> date | None:
    async with runtime.database.transaction(Mode.READ) as session:
        return await session.scalar(select(BusinessDay.open_date))


async def closings(runtime: Runtime) -> list[EndOfDayRun]:
    async with runtime.database.transaction(Mode.READ) as session:
        return list(await session.scalars(select(EndOfDayRun).order_by(EndOfDayRun.business_date)))


async def posting_count(runtime: Runtime) -> int:
    async with runtime.database.transaction(Mode.READ) as session:
        return await session.scalar(select(func.count()).select_from(Posting)) or 0


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


# -- a plugin of the test's own end-of-day steps -------------------------------------------


@dataclass
class StepsPlugin:
    """A plugin answering ``crm_end_of_day_steps`` with whatever the test lists."""

    steps: list[EndOfDayStep] = field(default_factory=list)

    @hookimpl
    def crm_end_of_day_steps(self) -> list[EndOfDayStep]:
        return self.steps


@pytest.fixture
def steps_plugin(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[StepsPlugin]:
    """A plugin of test steps, registered with the plugin manager and enabled
    after every installed plugin, for this test only."""
    plugin = StepsPlugin()
    runtime.plugins.manager.register(plugin, name="test-end-of-day")
    # The batch asks the enabled plugins, in dependency order: enlist this one last.
    info = PluginInfo(name="test-end-of-day", module=plugin)  # type: ignore[arg-type]
    monkeypatch.setattr(runtime.plugins, "enabled", (*runtime.plugins.enabled, info))
    yield plugin
    runtime.plugins.manager.unregister(plugin)


def recording(name: str, phase: Phase, ran: list[str]) -> EndOfDayStep:
    async def run(day: ClosingDay) -> str:
        ran.append(name)
        return "recorded"

    return EndOfDayStep(name, run, phase)


class PowerCut(RuntimeError):
    pass


@dataclass
class Explosion:
    """A REVIEWS step that looks at what the day's POSTINGS steps wrote in the
    batch's transaction, then fails."""

    seen_postings: int | None = None

    async def run(self, day: ClosingDay) -> str:
        self.seen_postings = await day.session.scalar(
            select(func.count()).select_from(Posting).where(Posting.value_date == day.business_date)
        )
        raise PowerCut("the power went off half-way through the batch")

    def step(self) -> EndOfDayStep:
        return EndOfDayStep("test.explodes", self.run, Phase.REVIEWS)


# -- closing dates ------------------------------------------------------------------------


async def test_closing_the_business_day_opens_the_next(runtime: Runtime):
    await make_open(runtime, MARCH_10)

    closed = await close_business_day(runtime)

    assert closed is not None
    assert closed.business_date == MARCH_10
    assert await open_date(runtime) == date(2026, 3, 11)


async def test_a_closed_date_is_recorded_with_each_step_s_report(runtime: Runtime):
    await make_open(runtime, MARCH_10)

    await close_business_day(runtime)

    (recorded,) = await closings(runtime)
    report = json.loads(recorded.report)
    assert recorded.business_date == MARCH_10
    assert recorded.closed_at is not None
    assert set(report) == {step.name for step in steps_of(runtime)}
    assert report["finance.interest_settlement"] == "not a settlement day"
    assert report["customer.tiers"].startswith("0 customers examined")


async def test_closing_until_a_date_closes_every_date_before_it_in_order(runtime: Runtime):
    await make_open(runtime, MARCH_10)
    seen: list[date] = []

    closed = await close_business_days(
        runtime, date(2026, 3, 14), on_step=lambda day, step: seen.append(day)
    )

    assert [day.business_date for day in closed] == days(MARCH_10, 4)
    assert seen == sorted(seen)
    assert sorted(set(seen)) == days(MARCH_10, 4)
    assert await open_date(runtime) == date(2026, 3, 14)
    assert [run.business_date for run in await closings(runtime)] == days(MARCH_10, 4)


async def test_closing_until_the_date_already_open_again_does_nothing(runtime: Runtime):
    await make_open(runtime, MARCH_10)
    await close_business_days(runtime, date(2026, 3, 14))
    before = [(run.business_date, run.closed_at) for run in await closings(runtime)]

    again = await close_business_days(runtime, date(2026, 3, 14))

    assert again == []
    assert await open_date(runtime) == date(2026, 3, 14)
    assert [(run.business_date, run.closed_at) for run in await closings(runtime)] == before


async def test_closing_until_a_past_date_closes_nothing(runtime: Runtime):
    await make_open(runtime, MARCH_10)

    assert await close_business_days(runtime, date(2026, 3, 1)) == []
    assert await close_business_day(runtime, before=MARCH_10) is None
    assert await open_date(runtime) == MARCH_10
    assert await closings(runtime) == []


async def test_two_batches_run_at_once_close_each_date_once(runtime: Runtime):
    await make_open(runtime, MARCH_10)

    first, second = await asyncio.gather(
        close_business_days(runtime, date(2026, 3, 16)),
        close_business_days(runtime, date(2026, 3, 16)),
    )

    closed = sorted(day.business_date for day in [*first, *second])
    assert closed == days(MARCH_10, 6)
    assert [run.business_date for run in await closings(runtime)] == days(MARCH_10, 6)
    assert await open_date(runtime) == date(2026, 3, 16)


# -- a failure half-way -------------------------------------------------------------------
#
# 2026-12-20 is a settlement day, and the day a 3-month fixed deposit opened on 2026-09-20
# matures: its POSTINGS steps pay out the deposit and pay demand interest. A REVIEWS step
# then fails.

DEC_20 = date(2026, 12, 20)


@dataclass
class DayOfPayments:
    demand: dict[str, Any]
    deposit: dict[str, Any]
    funding: dict[str, Any]


async def a_day_of_payments(books: Books) -> DayOfPayments:  # noqa: F811
    await books.open_business_date(date(2026, 9, 20))
    customer = await books.customer()
    funding = await books.account_with("10000.00", customer)
    deposit = await books.open(
        customer,
        kind="FIXED",
        termMonths=3,
        principal="10000.00",
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )
    demand = await books.account_with("36000.00")
    await books.open_business_date(date(2026, 12, 19))
    await books.close_days(DEC_20)  # 12-19 accrues 36,000.00 × 0.05 % / 360 = 0.05
    return DayOfPayments(demand, deposit, funding)


async def test_a_step_that_fails_leaves_its_date_wholly_unprocessed(
    runtime: Runtime,
    books: Books,  # noqa: F811
    steps_plugin: StepsPlugin,
):
    accounts = await a_day_of_payments(books)
    accrued = (await books.row(accounts.demand)).accrual
    postings = await posting_count(runtime)
    explosion = Explosion()
    steps_plugin.steps = [explosion.step()]

    with pytest.raises(PowerCut):
        await close_business_day(runtime)

    assert explosion.seen_postings  # the maturity and the interest were written, then undone
    assert await posting_count(runtime) == postings
    assert (await books.row(accounts.demand)).accrual == accrued
    assert await books.balance(accounts.demand) == Decimal("36000.00")
    assert (await books.row(accounts.deposit)).status is AccountStatus.ACTIVE
    assert await books.balance(accounts.funding) == Decimal("0.00")
    assert await open_date(runtime) == DEC_20
    assert DEC_20 not in [run.business_date for run in await closings(runtime)]
    assert (await books.ledger()).ok


async def test_a_date_a_failure_left_unprocessed_is_processed_once_by_the_next_run(
    runtime: Runtime,
    books: Books,  # noqa: F811
    steps_plugin: StepsPlugin,
):
    accounts = await a_day_of_payments(books)
    steps_plugin.steps = [Explosion().step()]
    with pytest.raises(PowerCut):
        await close_business_day(runtime)
    steps_plugin.steps = []

    closed = await close_business_day(runtime)

    assert closed is not None
    assert closed.business_date == DEC_20
    # 12-19 and 12-20: 2 × 0.05 = 0.10, paid once
    assert await books.balance(accounts.demand) == Decimal("36000.10")
    assert (await books.row(accounts.deposit)).status is AccountStatus.CLOSED
    # 10,000.00 + 10,000.00 × 0.65 % × 3 / 12 (16.25), then 12-20's demand interest on
    # 10,016.25: × 0.05 % / 360 = 0.0139... → 0.01
    assert await books.balance(accounts.funding) == Decimal("10016.26")
    assert [run.business_date for run in await closings(runtime)].count(DEC_20) == 1
    assert (await books.ledger()).ok


# -- steps --------------------------------------------------------------------------------


async def test_posting_steps_run_before_review_steps_whatever_order_they_are_listed_in(
    runtime: Runtime, steps_plugin: StepsPlugin
):
    await make_open(runtime, MARCH_10)
    ran: list[str] = []
    steps_plugin.steps = [
        recording("test.review", Phase.REVIEWS, ran),
        recording("test.posting", Phase.POSTINGS, ran),
    ]
    order: list[str] = []

    await close_business_day(runtime, on_step=lambda day, step: order.append(step.name))

    assert ran == ["test.posting", "test.review"]
    # the customer plugin's review comes after every plugin's postings, ours included
    assert order.index("test.posting") < order.index("customer.tiers")
    assert order.index("finance.interest_settlement") < order.index("customer.tiers")
    # then only the steps that dispatch to the outside world, after the commit
    assert order[order.index("test.review") + 1 :] == ["marketing.delivery"]


async def test_dispatch_steps_run_once_the_date_is_committed_and_join_its_report(
    runtime: Runtime, steps_plugin: StepsPlugin
):
    await make_open(runtime, MARCH_10)
    seen: list[date] = []

    async def dispatch(day: ClosingDay) -> str:
        # another connection already sees the date closed: it is committed
        async with runtime.database.transaction(Mode.READ) as session:
            seen.extend(await session.scalars(select(EndOfDayRun.business_date)))
        return "3 sent"

    steps_plugin.steps = [EndOfDayStep("test.dispatch", dispatch, Phase.DISPATCH)]

    closed = await close_business_day(runtime)

    assert closed is not None
    assert MARCH_10 in seen
    async with runtime.database.transaction(Mode.READ) as session:
        run = await session.get_one(EndOfDayRun, MARCH_10)
    assert json.loads(run.report)["test.dispatch"] == "3 sent"


async def test_within_a_plugin_steps_run_in_the_order_it_lists_them(runtime: Runtime):
    names = [step.name for step in steps_of(runtime)]

    assert names.index("finance.fixed_deposit_maturity") < names.index("finance.interest_accrual")
    assert names.index("finance.interest_accrual") < names.index("finance.interest_settlement")


async def test_two_steps_of_the_same_name_are_refused(runtime: Runtime, steps_plugin: StepsPlugin):
    await make_open(runtime, MARCH_10)
    steps_plugin.steps = [recording("finance.interest_accrual", Phase.POSTINGS, [])]

    with pytest.raises(
        ConfigurationError,
        match=re.escape("two end-of-day steps are named 'finance.interest_accrual'"),
    ):
        steps_of(runtime)
    with pytest.raises(ConfigurationError):
        await close_business_day(runtime)
    assert await open_date(runtime) == MARCH_10
    assert await closings(runtime) == []


# -- the business date in the API ---------------------------------------------------------

BUSINESS_DATE = "{ businessDate }"


async def test_the_business_date_query_gives_the_open_date(runtime: Runtime, admin: GraphQLClient):
    await make_open(runtime, MARCH_10)

    assert await admin.data(BUSINESS_DATE) == {"businessDate": "2026-03-10"}


async def test_the_business_date_query_follows_the_batch(runtime: Runtime, admin: GraphQLClient):
    await make_open(runtime, MARCH_10)

    await close_business_days(runtime, date(2026, 3, 13))

    assert await admin.data(BUSINESS_DATE) == {"businessDate": "2026-03-13"}


async def test_the_business_date_is_for_signed_in_users_only(
    runtime: Runtime, client: GraphQLClient
):
    await make_open(runtime, MARCH_10)

    body = await client.execute(BUSINESS_DATE)

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


async def test_money_moved_after_the_batch_is_value_dated_with_the_next_date(
    runtime: Runtime,
    books: Books,  # noqa: F811
):
    await books.open_business_date(MARCH_10)
    account = await books.account_with("100.00")
    await close_business_day(runtime)

    payload = await books.deposit(account, "1.00")

    assert payload["errors"] == []
    async with runtime.database.transaction(Mode.READ) as session:
        value_dates = list(
            await session.scalars(
                select(Posting.value_date)
                .join(Account, Account.id == Posting.account_id)
                .where(Account.account_no == account["accountNo"])
                .order_by(Posting.id)
            )
        )
    assert value_dates == [MARCH_10, date(2026, 3, 11)]


# -- tiers at the close of the day ----------------------------------------------------------

TIER = "query($id: ID!) { customer(id: $id) { tier tierHistory { toTier assets { amount } } } }"


async def tier_of(books: Books, customer: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    admin = await books.bank.sign_in("admin")
    return (await admin.data(TIER, {"id": customer["id"]}))["customer"]


async def test_a_customer_whose_deposits_pass_the_affluent_threshold_is_upgraded_at_the_close(
    runtime: Runtime,
    books: Books,  # noqa: F811
):
    await books.open_business_date(MARCH_10)
    customer = await books.customer()
    await books.account_with("60000.00", customer)
    assert (await tier_of(books, customer))["tier"] == "MASS"  # a deposit alone changes nothing

    await close_business_day(runtime)

    assert await tier_of(books, customer) == {
        "tier": "AFFLUENT",
        "tierHistory": [{"toTier": "AFFLUENT", "assets": {"amount": "60000.00"}}],
    }


async def test_tiers_are_reviewed_on_the_day_s_final_balances_interest_included(
    runtime: Runtime,
    books: Books,  # noqa: F811
):
    await books.open_business_date(DEC_20)
    customer = await books.customer()
    await books.account_with("49999.99", customer)  # a fen short of AFFLUENT's 50,000.00

    await close_business_day(runtime)

    # the settlement pays 49,999.99 × 0.05 % / 360 = 0.0694... → 0.07 before tiers are reviewed
    assert await tier_of(books, customer) == {
        "tier": "AFFLUENT",
        "tierHistory": [{"toTier": "AFFLUENT", "assets": {"amount": "50000.06"}}],
    }


# -- the `crm eod` command --------------------------------------------------------------------


def crm(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """Run ``crm`` as an operator would, on ``database``, with no other CRM_ variable."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    env["CRM_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [CRM, *args], cwd=database.parent, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def upgraded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database `crm db upgrade` made, in one file (no write-ahead log beside it)."""
    database = tmp_path_factory.mktemp("eod") / "crm.db"
    upgraded = crm("db", "upgrade", database=database)
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return database


@pytest.fixture
def bank_database(upgraded_database: Path, tmp_path: Path) -> Callable[[date], Path]:
    """A copy of the upgraded database whose open business date is the one given."""

    def make(open_on: date) -> Path:
        database = tmp_path / "crm.db"
        shutil.copyfile(upgraded_database, database)
        with sqlite3.connect(database) as connection:
            connection.execute(
                "INSERT INTO kernel_business_day (id, open_date) VALUES (1, ?)",
                (open_on.isoformat(),),
            )
        return database

    return make


def printed(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines a command printed (the progress bar leaves a blank one behind)."""
    return [line for line in result.stdout.splitlines() if line.strip()]


def closed_in(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT business_date FROM kernel_end_of_day ORDER BY business_date"
        ).fetchall()
    return [row[0] for row in rows]


def test_crm_eod_closes_the_open_date_and_opens_the_next(bank_database):
    database = bank_database(MARCH_10)

    result = crm("eod", database=database)

    assert result.returncode == 0, result.stderr
    lines = printed(result)
    assert lines[0] == "closed 2026-03-10"
    assert "  finance.interest_settlement: not a settlement day" in lines
    assert lines[-1] == "open business date: 2026-03-11"
    assert closed_in(database) == ["2026-03-10"]


def test_crm_eod_until_closes_dates_in_order_and_running_it_again_changes_nothing(
    bank_database,
):
    database = bank_database(MARCH_10)

    first = crm("eod", "--until", "2026-03-13", database=database)
    again = crm("eod", "--until", "2026-03-13", database=database)

    assert first.returncode == 0, first.stderr
    assert [line for line in printed(first) if line.startswith("closed")] == [
        "closed 2026-03-10",
        "closed 2026-03-11",
        "closed 2026-03-12",
    ]
    assert printed(first)[-1] == "open business date: 2026-03-13"
    assert again.returncode == 0, again.stderr
    assert printed(again) == ["open business date: 2026-03-13"]
    assert closed_in(database) == ["2026-03-10", "2026-03-11", "2026-03-12"]


def test_crm_eod_refuses_a_date_already_closed(bank_database):
    database = bank_database(MARCH_10)

    result = crm("eod", "--until", "2026-03-01", database=database)

    assert result.returncode != 0
    assert "2026-03-01 is already closed; the open business date is 2026-03-10" in result.stderr
    assert closed_in(database) == []


def test_crm_eod_refuses_an_until_that_is_not_a_date(bank_database):
    database = bank_database(MARCH_10)

    result = crm("eod", "--until", "10/03/2026", database=database)

    assert result.returncode != 0
    assert "--until must be a date written YYYY-MM-DD" in result.stderr
    assert closed_in(database) == []
