"""Shared set-up for the service plugin's tests: the customer tests' bank of two
branches and their staff, a clock the tests set, and tickets opened and moved
through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from core.runtime import Runtime
from tests.plugins.customer.conftest import (  # noqa: F401  (fixtures, shared)
    Bank,
    bank,
    global_id,
    password_hash,
)

TICKET_FIELDS = """
  id ticketNo kind channel status priority subject description accountNo transactionReference
  customer { customerNo } assignee { username } queue { code }
  slaDueAt slaBreached responseDueAt resolutionDueAt firstRespondedAt resolvedAt closedAt
  resolution createdAt
"""
CREATE_TICKET = f"""
mutation($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} errors {{ field message code }} }}
}}
"""
TRANSITION_TICKET = f"""
mutation($input: TransitionTicketInput!) {{
  transitionTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} errors {{ field message code }} }}
}}
"""
TICKET = f"query($id: ID!) {{ ticket(id: $id) {{ {TICKET_FIELDS} }} }}"


class Clock:
    """The service plugin's idea of now, set by the test (UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Now is Monday 2 March 2026, 10:00 in Beijing, until a test moves it."""
    clock = Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    for module in ("plugins.service.tickets", "plugins.service.api.tickets"):
        monkeypatch.setattr(f"{module}.utcnow", clock)
    return clock


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


@dataclass
class Desk:
    """Tickets through the API, as ``bank``'s staff."""

    bank: Bank
    runtime: Runtime

    async def customer(self, by: str = "admin", **changes: Any) -> dict[str, Any]:
        return await self.bank.register(by=by, **changes)

    async def opening(
        self, customer: dict[str, Any], by: str = "bj.agent", **input: Any
    ) -> dict[str, Any]:
        """The ``createTicket`` payload (errors included: the caller asserts on them)."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            CREATE_TICKET,
            {
                "input": {
                    "customerId": customer["id"],
                    "kind": "CONSULTATION",
                    "priority": "NORMAL",
                    "subject": "咨询大额存单利率",
                    "description": "客户来电咨询三年期大额存单利率。",
                }
                | input
            },
        )
        return body["createTicket"]

    async def open(
        self, customer: dict[str, Any], by: str = "bj.agent", **input: Any
    ) -> dict[str, Any]:
        """Open a ticket and return it; fails the test on errors."""
        payload = await self.opening(customer, by, **input)
        assert payload["errors"] == [], payload["errors"]
        return payload["ticket"]

    async def moving(
        self, ticket: dict[str, Any], status: str, comment: str | None = None, by: str = "bj.agent"
    ) -> dict[str, Any]:
        """The ``transitionTicket`` payload (errors included)."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            TRANSITION_TICKET,
            {"input": {"ticketId": ticket["id"], "status": status, "comment": comment}},
        )
        return body["transitionTicket"]

    async def move(
        self, ticket: dict[str, Any], status: str, comment: str | None = None, by: str = "bj.agent"
    ) -> dict[str, Any]:
        payload = await self.moving(ticket, status, comment, by)
        assert payload["errors"] == [], payload["errors"]
        return payload["ticket"]

    async def get(self, ticket: dict[str, Any], by: str = "admin") -> dict[str, Any] | None:
        caller = await self.bank.sign_in(by)
        return (await caller.data(TICKET, {"id": ticket["id"]}))["ticket"]


@pytest.fixture
def desk(bank: Bank, runtime: Runtime) -> Desk:  # noqa: F811  (the imported fixture)
    return Desk(bank, runtime)
