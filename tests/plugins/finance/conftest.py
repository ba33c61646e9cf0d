"""Shared set-up for the finance plugin's tests: the customer tests' bank of two
branches and their staff, plus accounts opened and money moved through the API."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from strawberry import relay

from core.authorization import Principal, Role
from core.business_day import BusinessDay
from core.db import Mode
from core.end_of_day import DayClosed, close_business_days
from core.runtime import Runtime
from plugins.finance.ledger import LedgerCheck, check_ledger
from plugins.finance.models import Account, JournalEntry
from tests.plugins.customer.conftest import (  # noqa: F401  (fixtures, shared)
    Bank,
    bank,
    global_id,
    password_hash,
)

CRM = Path(sys.executable).with_name("crm")
ACCOUNT_FIELDS = """
  id accountNo kind status currency
  balance { amount currency } availableBalance { amount currency }
  annualInterestRate accruedInterest { amount currency } termMonths maturityDate
"""
OPEN_ACCOUNT = f"""
mutation($input: OpenAccountInput!) {{
  openAccount(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} errors {{ field message code }} }}
}}
"""
CLOSE_ACCOUNT = f"""
mutation($input: CloseAccountInput!) {{
  closeAccount(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} errors {{ field message code }} }}
}}
"""
CASH_PAYLOAD = """
  transaction { id kind direction amount { amount currency } balanceAfter { amount } memo }
  account { id balance { amount } availableBalance { amount } }
  errors { field message code }
"""
DEPOSIT = f"mutation($input: CashInput!) {{ deposit(input: $input) {{ {CASH_PAYLOAD} }} }}"
WITHDRAW = f"mutation($input: CashInput!) {{ withdraw(input: $input) {{ {CASH_PAYLOAD} }} }}"
TRANSFER = """
mutation($input: TransferInput!) {
  transfer(input: $input) {
    transfer { id amount { amount currency } memo fromAccount { id } toAccount { id } }
    errors { field message code }
  }
}
"""
FREEZE_PAYLOAD = """
  freeze { id mode amount { amount } reason active }
  account { id status balance { amount } availableBalance { amount } }
  errors { field message code }
"""
FREEZE = f"""mutation($input: FreezeAccountInput!) {{
  freezeAccount(input: $input) {{ {FREEZE_PAYLOAD} }}
}}"""
UNFREEZE = f"""mutation($input: UnfreezeAccountInput!) {{
  unfreezeAccount(input: $input) {{ {FREEZE_PAYLOAD} }}
}}"""
ACCOUNT = f"query($id: ID!) {{ account(id: $id) {{ {ACCOUNT_FIELDS} }} }}"


def head_office(user_id: int, username: str = "root") -> Principal:
    """A head-office administrator as a principal, for calling the services directly."""
    return Principal(
        user_id=user_id,
        username=username,
        roles=frozenset({Role.ADMIN}),
        branch_id=None,
        permissions=frozenset(),
    )


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


@dataclass
class Books:
    """Accounts and money for tests, through the API (``bank``'s staff), and the
    ledger and the business date, straight through the services."""

    bank: Bank
    runtime: Runtime
    _keys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def key(self) -> str:
        return f"test-key-{next(self._keys)}"

    async def customer(self, by: str = "admin", **changes: Any) -> dict[str, Any]:
        return await self.bank.register(by=by, **changes)

    async def open(
        self, customer: dict[str, Any], by: str = "admin", **input: Any
    ) -> dict[str, Any]:
        """Open an account (DEMAND unless said) and return it; fails the test on errors."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            OPEN_ACCOUNT, {"input": {"customerId": customer["id"], "kind": "DEMAND"} | input}
        )
        payload = body["openAccount"]
        assert payload["errors"] == [], payload["errors"]
        return payload["account"]

    async def account_with(
        self, amount: str | Decimal, customer: dict[str, Any] | None = None, **input: Any
    ) -> dict[str, Any]:
        """A demand account of a new (or the given) customer holding ``amount``."""
        account = await self.open(customer or await self.customer(), **input)
        if Decimal(amount):
            await self.deposit(account, amount)
        return account

    async def deposit(
        self, account: dict[str, Any], amount: str | Decimal, by: str = "admin", **input: Any
    ) -> dict[str, Any]:
        return await self._cash(DEPOSIT, "deposit", account, amount, by, input)

    async def withdraw(
        self, account: dict[str, Any], amount: str | Decimal, by: str = "admin", **input: Any
    ) -> dict[str, Any]:
        return await self._cash(WITHDRAW, "withdraw", account, amount, by, input)

    async def _cash(
        self,
        mutation: str,
        name: str,
        account: dict[str, Any],
        amount: str | Decimal,
        by: str,
        input: dict[str, Any],
    ) -> dict[str, Any]:
        """The payload (errors included: the caller asserts on them)."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            mutation,
            {
                "input": {
                    "accountId": account["id"],
                    "amount": str(amount),
                    "idempotencyKey": self.key(),
                }
                | input
            },
        )
        return body[name]

    async def transfer(
        self,
        source: dict[str, Any],
        target: dict[str, Any],
        amount: str | Decimal,
        by: str = "admin",
        **input: Any,
    ) -> dict[str, Any]:
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            TRANSFER,
            {
                "input": {
                    "fromAccountId": source["id"],
                    "toAccountId": target["id"],
                    "amount": str(amount),
                    "idempotencyKey": self.key(),
                }
                | input
            },
        )
        return body["transfer"]

    async def freezing(
        self,
        account: dict[str, Any],
        mode: str,
        amount: str | None = None,
        reason: str = "法院协助冻结",
        by: str = "admin",
    ) -> dict[str, Any]:
        """The ``freezeAccount`` payload (errors included: the caller asserts on them)."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            FREEZE,
            {
                "input": {
                    "accountId": account["id"],
                    "mode": mode,
                    "reason": reason,
                    "amount": amount,
                }
            },
        )
        return body["freezeAccount"]

    async def freeze(
        self, account: dict[str, Any], mode: str, amount: str | None = None
    ) -> dict[str, Any]:
        """Freeze ``account`` as head office; the freeze (fails the test on errors)."""
        payload = await self.freezing(account, mode, amount)
        assert payload["errors"] == [], payload["errors"]
        return payload["freeze"]

    async def entries(self) -> int:
        """How many journal entries the ledger holds."""
        return await self.bank.count(JournalEntry)

    async def balance(self, account: dict[str, Any]) -> Decimal:
        return (await self.row(account)).balance

    async def row(self, account: dict[str, Any]) -> Account:
        async with self.runtime.database.transaction(Mode.READ) as session:
            return await session.get_one(Account, int(global_id_of(account)))

    async def ledger(self) -> LedgerCheck:
        async with self.runtime.database.transaction(Mode.READ) as session:
            return await check_ledger(session)

    async def open_business_date(self, day: date) -> None:
        """Make ``day`` the bank's open business date (a test's calendar)."""
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            await session.execute(delete(BusinessDay))
            session.add(BusinessDay(open_date=day))

    async def business_date(self) -> date:
        async with self.runtime.database.transaction(Mode.READ) as session:
            found = await session.scalar(select(BusinessDay.open_date))
            return found or self.runtime.settings.today()

    async def close_days(self, until: date) -> list[DayClosed]:
        """Run the end-of-day batch until ``until`` is the open business date."""
        return await close_business_days(self.runtime, until)


def crm(
    database_url: str, *args: str, cwd: Path, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``crm`` as an operator would, on the test database, with no other
    CRM_ variable than ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    env |= (settings or {}) | {"CRM_DATABASE_URL": database_url}
    return subprocess.run(
        [str(CRM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def global_id_of(node: dict[str, Any]) -> str:
    """The database id inside a node's global ID."""
    return relay.GlobalID.from_id(node["id"]).node_id


@pytest.fixture
def books(bank: Bank, runtime: Runtime) -> Books:  # noqa: F811  (the imported fixture)
    return Books(bank, runtime)
