"""Property-based tests of the ledger: random sequences of deposits, withdrawals,
transfers, freezes, unfreezes and idempotent replays, straight through the
services, each in its own write transaction (as a request runs them).

A model of the accounts (balances and active freezes, in Decimal) predicts what
each operation does: the exact refusal it meets, or the money it moves. After
every sequence the database must agree with the model to the fen, the ledger
must balance, every balance must equal its postings, and no balance may be
negative or below its holds. (pytest-asyncio runs an ``async def`` test under
``@given`` on its event loop, one example at a time.)
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.db import Mode
from core.errors import BusinessError
from core.runtime import Runtime
from plugins.customer.models import Customer, CustomerKind
from plugins.customer.registration import Registration, register_customer
from plugins.finance import freezes, movements
from plugins.finance.accounts import Opening, open_account
from plugins.finance.ledger import check_ledger
from plugins.finance.models import Account, AccountKind, AccountStatus, FreezeMode, Posting
from tests.conftest import Staff
from tests.plugins.customer.conftest import BJ, resident_id
from tests.plugins.finance.conftest import head_office

ACCOUNTS = 4
"""Fresh accounts per example."""
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_keys = itertools.count(1)


def new_key() -> str:
    """An idempotency key no earlier example (of any test in this run) has used."""
    return f"prop-{next(_keys)}"


# --- Operations -------------------------------------------------------------------------------

amounts = st.one_of(
    st.decimals(min_value=CENT, max_value=Decimal("300.00"), places=2),
    st.sampled_from([CENT, Decimal("1.00"), Decimal("100.00"), Decimal("9999.99")]),
)
"""Valid amounts, small enough that withdrawals and transfers often fit."""
bad_amounts = st.sampled_from([ZERO, Decimal("-1.00"), Decimal("0.001"), Decimal("12.345")])
"""Amounts every movement refuses with INVALID_AMOUNT before looking at any account."""
amount_specs = st.integers(min_value=0, max_value=9).flatmap(
    lambda choice: (
        amounts.map(lambda amount: ("fixed", amount))
        if choice < 7
        else st.sampled_from([("all", ZERO), ("all", CENT)])  # what is available, or a fen more
        if choice < 9
        else bad_amounts.map(lambda amount: ("fixed", amount))
    )
)
"""What an operation asks for: a fixed amount, or (decided when it runs, from the
model) exactly what the account has available, or a fen more than that."""
accounts = st.integers(min_value=0, max_value=ACCOUNTS - 1)
others = st.integers(min_value=0, max_value=4 * ACCOUNTS).map(
    lambda n: 0 if n == 4 * ACCOUNTS else 1 + n % (ACCOUNTS - 1)
)
"""A transfer's target, as an offset from its source: now and then (0) the source itself."""

WEIGHTED = [
    (3, st.tuples(st.just("deposit"), accounts, st.one_of(*[amounts] * 5, bad_amounts))),
    (3, st.tuples(st.just("withdraw"), accounts, amount_specs)),
    (6, st.tuples(st.just("transfer"), accounts, others, amount_specs)),
    (3, st.tuples(st.just("freeze"), accounts, st.sampled_from(list(FreezeMode)), amount_specs)),
    (2, st.tuples(st.just("unfreeze"), st.integers(min_value=0, max_value=50))),
    (3, st.tuples(st.just("replay"), st.integers(min_value=0, max_value=50), st.booleans())),
]
"""Each kind of operation, with how often it comes up (transfers most)."""
_choices = [operation for weight, operation in WEIGHTED for _ in range(weight)]
operations = st.integers(min_value=0, max_value=len(_choices) - 1).flatmap(
    lambda choice: _choices[choice]
)


# --- The model --------------------------------------------------------------------------------


@dataclass
class ModelAccount:
    id: int
    balance: Decimal = ZERO
    freezes: dict[int, tuple[FreezeMode, Decimal | None]] = field(default_factory=dict)
    """Active freezes by id."""
    postings: int = 0

    @property
    def held(self) -> Decimal:
        return sum((amount or ZERO for _, amount in self.freezes.values()), ZERO)

    @property
    def frozen(self) -> bool:
        return any(mode in (FreezeMode.FULL, FreezeMode.DEBIT) for mode, _ in self.freezes.values())

    @property
    def credits_blocked(self) -> bool:
        return any(mode is FreezeMode.FULL for mode, _ in self.freezes.values())

    @property
    def available(self) -> Decimal:
        return ZERO if self.frozen else max(self.balance - self.held, ZERO)


def valid(amount: Decimal) -> bool:
    return amount > 0 and amount == amount.quantize(CENT)


def debit_refusal(account: ModelAccount, amount: Decimal) -> str | None:
    if account.frozen:
        return "ACCOUNT_FROZEN"
    if amount > account.available:
        return "INSUFFICIENT_FUNDS"
    return None


@dataclass
class Done:
    """A money movement that went through, to replay with its key."""

    key: str
    call: Callable[[AsyncSession, movements.Request, Decimal], Awaitable[int]]
    amount: Decimal
    entry_id: int


@dataclass
class Run:
    """One example: the model, the freezes made, the movements done, and what happened."""

    runtime: Runtime
    principal: Principal
    accounts: list[ModelAccount]
    freezes_made: list[tuple[int, int]] = field(default_factory=list)
    """(freeze id, model account index), active or released."""
    done: list[Done] = field(default_factory=list)
    entries: int = 0
    refusals: dict[str, int] = field(default_factory=dict)

    async def attempt(self, expected: str | None, action: Callable[[AsyncSession], Awaitable[Any]]):
        """Run ``action`` in one write transaction; a refusal must be the expected one
        (and rolls the transaction back). Returns the action's result, or None if refused."""
        refusal = None
        try:
            async with self.runtime.database.transaction(Mode.WRITE) as session:
                result = await action(session)
        except BusinessError as error:
            refusal = error.code
        if refusal is None:
            assert expected is None, f"expected {expected}, but it went through"
            return result
        assert refusal == expected, f"expected {expected}, refused with {refusal}"
        self.refusals[refusal] = self.refusals.get(refusal, 0) + 1
        return None

    def request(self, key: str) -> movements.Request:
        return movements.Request(self.principal, key, "property test")

    def amount(self, spec: tuple[str, Decimal], account: ModelAccount) -> Decimal:
        kind, value = spec
        if kind == "fixed":
            return value
        # The whole available balance (at least a fen, so that it is a valid amount), or a fen more.
        return max(account.available, CENT) + value

    async def apply(self, operation: tuple[Any, ...]) -> None:
        name, *args = operation
        await getattr(self, name)(*args)

    async def deposit(self, index: int, amount: Decimal) -> None:
        account = self.accounts[index]
        expected = (
            "INVALID_AMOUNT"
            if not valid(amount)
            else "ACCOUNT_FROZEN"
            if account.credits_blocked
            else None
        )

        async def call(session: AsyncSession, asked: movements.Request, amount: Decimal) -> int:
            entry = await movements.deposit(
                session, self.runtime.settings, asked, account.id, amount
            )
            return entry.id  # type: ignore[return-value]

        await self._move(expected, call, amount, {index: amount})

    async def withdraw(self, index: int, spec: tuple[str, Decimal]) -> None:
        account = self.accounts[index]
        amount = self.amount(spec, account)
        expected = "INVALID_AMOUNT" if not valid(amount) else debit_refusal(account, amount)

        async def call(session: AsyncSession, asked: movements.Request, amount: Decimal) -> int:
            entry = await movements.withdraw(
                session, self.runtime.settings, asked, account.id, amount
            )
            return entry.id  # type: ignore[return-value]

        await self._move(expected, call, amount, {index: -amount})

    async def transfer(self, source: int, offset: int, spec: tuple[str, Decimal]) -> None:
        target = (source + offset) % ACCOUNTS
        from_account, to_account = self.accounts[source], self.accounts[target]
        amount = self.amount(spec, from_account)
        if not valid(amount):
            expected: str | None = "INVALID_AMOUNT"
        elif source == target:
            expected = "SAME_ACCOUNT"
        else:
            expected = debit_refusal(from_account, amount) or (
                "ACCOUNT_FROZEN" if to_account.credits_blocked else None
            )

        async def call(session: AsyncSession, asked: movements.Request, amount: Decimal) -> int:
            entry = await movements.transfer(
                session, self.runtime.settings, asked, from_account.id, to_account.id, amount
            )
            return entry.id  # type: ignore[return-value]

        await self._move(expected, call, amount, {source: -amount, target: amount})

    async def _move(
        self,
        expected: str | None,
        call: Callable[[AsyncSession, movements.Request, Decimal], Awaitable[int]],
        amount: Decimal,
        changes: dict[int, Decimal],
    ) -> None:
        key = new_key()
        entry_id = await self.attempt(
            expected, lambda session: call(session, self.request(key), amount)
        )
        if entry_id is None:
            return
        for index, change in changes.items():
            self.accounts[index].balance += change
            self.accounts[index].postings += 1
        self.entries += 1
        self.done.append(Done(key, call, amount, entry_id))

    async def freeze(self, index: int, mode: FreezeMode, spec: tuple[str, Decimal]) -> None:
        account = self.accounts[index]
        amount: Decimal | None = None
        expected: str | None = None
        if mode is FreezeMode.PARTIAL:
            # Held out of the balance not already held (a FULL or DEBIT freeze does not matter).
            kind, value = spec
            amount = value if kind == "fixed" else max(account.balance - account.held, CENT) + value
            if not valid(amount):
                expected = "INVALID_AMOUNT"
            elif amount > account.balance - account.held:
                expected = "INSUFFICIENT_FUNDS"
        made = await self.attempt(
            expected,
            lambda session: freezes.freeze_account(
                session, self.principal, account.id, mode, "法院冻结", amount
            ),
        )
        if made is not None:
            account.freezes[made.id] = (mode, amount.quantize(CENT) if amount else None)
            self.freezes_made.append((made.id, index))

    async def unfreeze(self, choice: int) -> None:
        if not self.freezes_made:
            return
        freeze_id, index = self.freezes_made[choice % len(self.freezes_made)]
        account = self.accounts[index]
        expected = None if freeze_id in account.freezes else "FREEZE_RELEASED"
        released = await self.attempt(
            expected,
            lambda session: freezes.unfreeze(session, self.principal, freeze_id, "解除冻结"),
        )
        if released is not None:
            del account.freezes[freeze_id]

    async def replay(self, choice: int, same_input: bool) -> None:
        """Send a movement that went through again with its key: the same input
        returns the first entry and moves nothing; another amount is refused."""
        if not self.done:
            return
        done = self.done[choice % len(self.done)]
        amount = done.amount if same_input else done.amount + CENT
        entry_id = await self.attempt(
            None if same_input else "IDEMPOTENCY_KEY_REUSED",
            lambda session: done.call(session, self.request(done.key), amount),
        )
        if same_input:
            assert entry_id == done.entry_id


# --- Set-up and checks ------------------------------------------------------------------------


@dataclass
class Teller:
    runtime: Runtime
    principal: Principal
    customer_id: int


@pytest.fixture
async def teller(runtime: Runtime, staff: Staff) -> Teller:
    """A branch, a head-office administrator acting as teller, and one customer."""
    await staff.branch(BJ)
    user_id = await staff.user("root", Role.ADMIN)
    principal = head_office(user_id)
    async with runtime.database.transaction(Mode.WRITE) as session:
        customer = await register_customer(
            session,
            principal,
            Registration(CustomerKind.INDIVIDUAL, "王小明", resident_id(1), BJ),
            runtime.settings.today(),
        )
        await session.flush()
        return Teller(runtime, principal, customer.id)  # type: ignore[arg-type]


async def fresh_run(teller: Teller) -> Run:
    """ACCOUNTS new, empty demand accounts: each example starts from its own."""
    opened = []
    async with teller.runtime.database.transaction(Mode.WRITE) as session:
        customer = await session.get_one(Customer, teller.customer_id)
        for _ in range(ACCOUNTS):
            account = await open_account(
                session,
                teller.runtime.settings,
                teller.principal,
                customer,
                Opening(kind=AccountKind.DEMAND),
            )
            opened.append(ModelAccount(account.id))  # type: ignore[arg-type]
    return Run(teller.runtime, teller.principal, opened)


async def check(run: Run) -> None:
    """The database agrees with the model, and the ledger's invariants hold."""
    async with run.runtime.database.transaction(Mode.READ) as session:
        ledger = await check_ledger(session)
        assert ledger.ok, ledger
        ids = [account.id for account in run.accounts]
        rows = {
            row.id: row
            for row in await session.scalars(
                select(Account).where(Account.id.in_(ids))  # type: ignore[union-attr]
            )
        }
        posted = dict(
            (
                await session.execute(
                    select(Posting.account_id, func.coalesce(func.sum(Posting.amount), 0))
                    .where(Posting.account_id.in_(ids))  # type: ignore[attr-defined]
                    .group_by(Posting.account_id)
                )
            ).all()
        )
        counted = dict(
            (
                await session.execute(
                    select(Posting.account_id, func.count())
                    .where(Posting.account_id.in_(ids))  # type: ignore[attr-defined]
                    .group_by(Posting.account_id)
                )
            ).all()
        )
    for model in run.accounts:
        row = rows[model.id]
        assert row.balance == model.balance, (model.id, row.balance, model.balance)
        assert Decimal(posted.get(model.id, 0)) == row.balance
        assert counted.get(model.id, 0) == model.postings, "a refused operation posted something"
        assert row.held == model.held
        assert row.balance >= row.held >= 0
        assert row.balance >= 0
        assert row.status is (AccountStatus.FROZEN if model.frozen else AccountStatus.ACTIVE)
        assert row.credits_blocked is model.credits_blocked
        assert row.available_balance == model.available


@dataclass
class Tally:
    examples: int = 0
    operations: int = 0
    entries: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, run: Run, steps: list[tuple[Any, ...]]) -> None:
        self.examples += 1
        self.operations += len(steps)
        for name, *_ in steps:
            self.kinds[name] = self.kinds.get(name, 0) + 1
        self.entries += run.entries
        for code, count in run.refusals.items():
            self.refusals[code] = self.refusals.get(code, 0) + count


@pytest.fixture
def tally() -> Iterator[Tally]:
    """What the examples exercised, printed when the test ends (visible with -s)."""
    tally = Tally()
    yield tally
    refused = sum(tally.refusals.values())
    print(
        f"\nledger properties: {tally.examples} examples, {tally.operations} operations, "
        f"{tally.entries} entries posted, {refused} refusals; {tally.kinds}; {tally.refusals}"
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    # No explain phase: its line tracing would make a failing run crawl for minutes.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opening=st.lists(amounts, min_size=ACCOUNTS, max_size=ACCOUNTS),
    steps=st.lists(operations, min_size=10, max_size=40),
)
async def test_random_money_movements_keep_the_ledger_balanced_and_match_the_model(
    teller: Teller, tally: Tally, opening: list[Decimal], steps: list[tuple[Any, ...]]
):
    run = await fresh_run(teller)
    steps = [("deposit", index, amount) for index, amount in enumerate(opening)] + steps

    for step in steps:
        await run.apply(step)

    await check(run)
    tally.add(run, steps)
