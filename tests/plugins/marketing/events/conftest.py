"""Shared set-up for the events tests: a clock the tests set, and events
planned, invitations sent and answered, and attendance recorded through the
API as the staff of the marketing tests' ``bank``."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from strawberry import relay

from core.db import Mode
from plugins.customer.models import Customer
from plugins.marketing.events.models import Invitation, MarketingEvent
from tests.plugins.customer.conftest import Bank

BEIJING = ZoneInfo("Asia/Shanghai")
EVENT_FIELDS = """
  id name kind status startsAt venue capacity description
  branch { code } plannedBy { username }
  invitedCount acceptedCount attendedCount
"""
PLAN = f"""
mutation($input: PlanEventInput!) {{
  planEvent(input: $input) {{ event {{ {EVENT_FIELDS} }} errors {{ code field }} }}
}}
"""
CANCEL = f"""
mutation($input: EventInput!) {{
  cancelEvent(input: $input) {{ event {{ {EVENT_FIELDS} }} errors {{ code field }} }}
}}
"""
INVITE = f"""
mutation($input: InviteToEventInput!) {{
  inviteToEvent(input: $input) {{
    event {{ {EVENT_FIELDS} }} invitedCount errors {{ code field }}
  }}
}}
"""
ANSWER = """
mutation($input: AnswerInvitationInput!) {
  answerInvitation(input: $input) {
    invitation { status answeredAt customer { customerNo } event { name } }
    errors { code field }
  }
}
"""
RECORD = f"""
mutation($input: RecordAttendanceInput!) {{
  recordAttendance(input: $input) {{ event {{ {EVENT_FIELDS} }} errors {{ code field }} }}
}}
"""
EVENT = f"""
query($id: ID!) {{
  event(id: $id) {{
    {EVENT_FIELDS}
    invitations(first: 100) {{
      edges {{ node {{
        status customer {{ customerNo }}
        followUp {{ title dueOn status assignee {{ username }} }}
      }} }}
    }}
  }}
}}
"""
SAVE_SEGMENT = """
mutation($input: SaveSegmentInput!) {
  saveSegment(input: $input) { segment { id } errors { code } }
}
"""
WITHDRAW = """
mutation($input: MarketingConsentInput!) {
  withdrawMarketingConsent(input: $input) { customer { id } errors { code } }
}
"""

_names = itertools.count(1)


class Clock:
    """The events' idea of now, set by the test (UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def move(self, by: timedelta) -> None:
        self.now += by

    def today(self) -> date:
        """Today in Beijing."""
        return self.now.astimezone(BEIJING).date()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Now is Monday 2 March 2026, 10:00 in Beijing, until a test moves it."""
    clock = Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    for module in ("planning", "invitations", "attendance"):
        monkeypatch.setattr(f"plugins.marketing.events.{module}.utcnow", clock)
    return clock


def db_id(node: dict[str, Any]) -> int:
    return int(relay.GlobalID.from_id(node["id"]).node_id)


def numbers(*customers: dict[str, Any]) -> set[str]:
    return {customer["customerNo"] for customer in customers}


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


@dataclass
class Organizer:
    """Events through the API, as ``bank``'s staff, on ``clock``'s time."""

    bank: Bank
    clock: Clock

    def in_days(self, days: float) -> str:
        """``days`` from now, as GraphQL takes a moment."""
        return (self.clock.now + timedelta(days=days)).isoformat()

    async def planning(self, by: str = "marketing", **input: Any) -> dict[str, Any]:
        """The ``planEvent`` payload of a seminar for 30 a week from now, with ``input``."""
        plan = {
            "name": f"财富讲座 {next(_names)}",
            "kind": "WEALTH_SEMINAR",
            "startsAt": self.in_days(7),
            "venue": "北京分行三楼报告厅",
            "capacity": 30,
        }
        return await self._send(by, PLAN, "planEvent", plan | input)

    async def plan(self, by: str = "marketing", **input: Any) -> dict[str, Any]:
        payload = await self.planning(by, **input)
        assert payload["errors"] == [], payload["errors"]
        return payload["event"]

    async def cancelling(self, event: dict[str, Any], by: str = "marketing") -> dict[str, Any]:
        return await self._send(by, CANCEL, "cancelEvent", {"eventId": event["id"]})

    async def inviting(
        self, event: dict[str, Any], by: str = "marketing", **input: Any
    ) -> dict[str, Any]:
        """The ``inviteToEvent`` payload."""
        return await self._send(by, INVITE, "inviteToEvent", {"eventId": event["id"]} | input)

    async def invite(
        self, event: dict[str, Any], *customers: dict[str, Any], by: str = "marketing"
    ):
        """Invite exactly ``customers``; how many were newly invited."""
        payload = await self.inviting(event, by, customerIds=[c["id"] for c in customers])
        assert payload["errors"] == [], payload["errors"]
        return payload["invitedCount"]

    async def answering(
        self, event: dict[str, Any], customer: dict[str, Any], accept: bool, by: str = "bj.teller"
    ) -> dict[str, Any]:
        """The ``answerInvitation`` payload."""
        input = {"eventId": event["id"], "customerId": customer["id"], "accept": accept}
        return await self._send(by, ANSWER, "answerInvitation", input)

    async def answer(
        self, event: dict[str, Any], customer: dict[str, Any], accept: bool, by: str = "bj.teller"
    ) -> None:
        payload = await self.answering(event, customer, accept, by)
        assert payload["errors"] == [], payload["errors"]

    async def recording(
        self, event: dict[str, Any], *attended: dict[str, Any], by: str = "marketing"
    ) -> dict[str, Any]:
        """The ``recordAttendance`` payload."""
        input = {"eventId": event["id"], "attended": [customer["id"] for customer in attended]}
        return await self._send(by, RECORD, "recordAttendance", input)

    async def read(self, event: dict[str, Any], by: str = "admin") -> dict[str, Any] | None:
        caller = await self.bank.sign_in(by)
        return (await caller.data(EVENT, {"id": event["id"]}))["event"]

    async def segment(self, *customers: dict[str, Any]) -> str:
        """A saved segment of exactly ``customers`` (by a tag of their own); its id."""
        tag = f"event-{next(_names)}"
        for customer in customers:
            await self.bank.tag(customer, tag)
        caller = await self.bank.sign_in("marketing")
        body = await caller.data(
            SAVE_SEGMENT, {"input": {"name": f"受邀 {tag}", "rules": {"tags": [tag]}}}
        )
        return body["saveSegment"]["segment"]["id"]

    async def withdraw(self, customer: dict[str, Any], *channels: str) -> None:
        caller = await self.bank.sign_in("admin")
        body = await caller.data(
            WITHDRAW, {"input": {"customerId": customer["id"], "channels": list(channels)}}
        )
        assert body["withdrawMarketingConsent"]["errors"] == []

    async def guests(self, event: dict[str, Any]) -> dict[str, str]:
        """Each invited customer's number and the invitation's status, from the table."""
        async with self.bank.runtime.database.transaction(Mode.READ) as session:
            rows = await session.execute(
                select(Customer.customer_no, Invitation.status)
                .join(Invitation, Invitation.customer_id == Customer.id)
                .where(Invitation.event_id == db_id(event))
            )
            return {number: status.value for number, status in rows}

    async def stored(self, event: dict[str, Any]) -> dict[str, Any]:
        async with self.bank.runtime.database.transaction(Mode.READ) as session:
            return (await session.get_one(MarketingEvent, db_id(event))).model_dump()

    async def _send(self, by: str, mutation: str, name: str, input: dict[str, Any]):
        caller = await self.bank.sign_in(by)
        return (await caller.data(mutation, {"input": input}))[name]


@pytest.fixture
def organizer(bank: Bank, clock: Clock) -> Organizer:
    return Organizer(bank, clock)
