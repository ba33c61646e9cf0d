"""Attendance: once a planned event has started, those who came are marked
ATTENDED, the other accepted guests NO_SHOW, the event HELD, and each
attendee's relationship manager (else the planner) is given a follow-up task,
as the customer plugin shows it. Recording twice, or for someone not invited,
is refused and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugins.customer.models import CustomerStatus, FollowUp
from plugins.marketing.settings import marketing_settings
from tests.plugins.customer.conftest import Bank, error_codes
from tests.plugins.marketing.events.conftest import Organizer, codes

FOLLOW_UPS = """
query($id: ID!) {
  customer(id: $id) {
    followUps { title dueOn status assignee { username } createdBy { username } }
  }
}
"""
MY_FOLLOW_UPS = "query($by: Date) { myFollowUps(dueBy: $by) { title customer { customerNo } } }"
RECORD = """
mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { errors { code } } }
"""


async def follow_ups(bank: Bank, customer: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer's follow-ups, as the customer plugin shows them to head office."""
    caller = await bank.sign_in("admin")
    return (await caller.data(FOLLOW_UPS, {"id": customer["id"]}))["customer"]["followUps"]


async def an_evening(bank: Bank, organizer: Organizer) -> tuple[dict[str, Any], ...]:
    """A Beijing salon a week from now: ``managed`` (bj.rm's) and ``unmanaged``
    accept and come; ``absent`` accepts and does not; ``declined`` declines;
    ``silent`` never answers. The clock is then an hour after the start."""
    managed, unmanaged, absent, declined, silent = [await bank.register() for _ in range(5)]
    await bank.assign(managed, "bj.rm")
    event = await organizer.plan(by="bj.manager", name="私行客户品鉴会", kind="VIP_SALON")
    await organizer.invite(event, managed, unmanaged, absent, declined, silent, by="bj.manager")
    for guest in (managed, unmanaged, absent):
        await organizer.answer(event, guest, True)
    await organizer.answer(event, declined, False)
    organizer.clock.move(timedelta(days=7, hours=1))
    return event, managed, unmanaged, absent, declined, silent


async def test_attendance_holds_the_event_and_settles_every_accepted_invitation(
    bank: Bank, organizer: Organizer
):
    event, managed, unmanaged, absent, declined, silent = await an_evening(bank, organizer)

    payload = await organizer.recording(event, managed, unmanaged, by="bj.manager")

    assert payload["errors"] == []
    assert payload["event"]["status"] == "HELD"
    assert payload["event"]["attendedCount"] == 2
    assert payload["event"]["acceptedCount"] == 0
    assert await organizer.guests(event) == {
        managed["customerNo"]: "ATTENDED",
        unmanaged["customerNo"]: "ATTENDED",
        absent["customerNo"]: "NO_SHOW",
        declined["customerNo"]: "DECLINED",
        silent["customerNo"]: "INVITED",
    }


async def test_each_attendee_s_manager_gets_a_follow_up_and_the_planner_the_unmanaged(
    bank: Bank, organizer: Organizer
):
    event, managed, unmanaged, absent, *_ = await an_evening(bank, organizer)
    due = (organizer.clock.today() + timedelta(days=3)).isoformat()

    await organizer.recording(event, managed, unmanaged, by="admin")

    task = {"title": "活动回访: 私行客户品鉴会", "dueOn": due, "status": "OPEN"}
    assert await follow_ups(bank, managed) == [
        task | {"assignee": {"username": "bj.rm"}, "createdBy": {"username": "admin"}}
    ]
    assert await follow_ups(bank, unmanaged) == [
        task | {"assignee": {"username": "bj.manager"}, "createdBy": {"username": "admin"}}
    ]
    assert await follow_ups(bank, absent) == []
    rm = await bank.sign_in("bj.rm")
    mine = (await rm.data(MY_FOLLOW_UPS, {"by": due}))["myFollowUps"]
    assert mine == [{"title": task["title"], "customer": {"customerNo": managed["customerNo"]}}]
    shown = await organizer.read(event)
    assert {
        edge["node"]["customer"]["customerNo"]: edge["node"]["followUp"]
        for edge in shown["invitations"]["edges"]  # type: ignore[index]
        if edge["node"]["status"] == "ATTENDED"
    } == {
        managed["customerNo"]: task | {"assignee": {"username": "bj.rm"}},
        unmanaged["customerNo"]: task | {"assignee": {"username": "bj.manager"}},
    }


async def test_the_follow_up_is_due_within_the_configured_days(
    bank: Bank, organizer: Organizer, monkeypatch: pytest.MonkeyPatch
):
    event, managed, *_ = await an_evening(bank, organizer)
    monkeypatch.setenv("CRM_EVENT_FOLLOW_UP_DAYS", "10")
    marketing_settings.cache_clear()
    try:
        await organizer.recording(event, managed)
    finally:
        marketing_settings.cache_clear()

    [task] = await follow_ups(bank, managed)
    assert task["dueOn"] == (organizer.clock.today() + timedelta(days=10)).isoformat()


async def test_a_manager_who_left_is_replaced_by_the_planner(bank: Bank, organizer: Organizer):
    event, managed, *_ = await an_evening(bank, organizer)
    await bank.add_staff("bj.rm2", *[], branch="BJ-001", active=False)
    await bank.change(managed, relationship_manager_id=bank.user_ids["bj.rm2"])

    payload = await organizer.recording(event, managed)

    assert payload["errors"] == []
    [task] = await follow_ups(bank, managed)
    assert task["assignee"] == {"username": "bj.manager"}


async def test_a_closed_attendee_gets_no_follow_up(bank: Bank, organizer: Organizer):
    event, managed, unmanaged, *_ = await an_evening(bank, organizer)
    await bank.change(managed, status=CustomerStatus.CLOSED)

    payload = await organizer.recording(event, managed, unmanaged)

    assert payload["errors"] == []
    assert await follow_ups(bank, managed) == []
    assert len(await follow_ups(bank, unmanaged)) == 1


async def test_nobody_came(bank: Bank, organizer: Organizer):
    event, *_ = await an_evening(bank, organizer)

    payload = await organizer.recording(event)

    assert payload["event"]["status"] == "HELD"
    assert payload["event"]["attendedCount"] == 0
    assert set((await organizer.guests(event)).values()) == {"NO_SHOW", "DECLINED", "INVITED"}
    assert await bank.count(FollowUp) == 0


async def test_attendance_is_recorded_once(bank: Bank, organizer: Organizer):
    event, managed, unmanaged, *_ = await an_evening(bank, organizer)
    await organizer.recording(event, managed)
    before = await organizer.guests(event)

    again = await organizer.recording(event, managed, unmanaged)

    assert again["errors"] == [{"code": "EVENT_ALREADY_HELD", "field": ["input", "eventId"]}]
    assert await organizer.guests(event) == before
    assert await bank.count(FollowUp) == 1


async def test_attendance_of_a_customer_not_invited_is_refused_and_changes_nothing(
    bank: Bank, organizer: Organizer
):
    event, managed, *_ = await an_evening(bank, organizer)
    gatecrasher = await bank.register()
    before = await organizer.guests(event)

    payload = await organizer.recording(event, managed, gatecrasher)

    assert payload["errors"] == [{"code": "NOT_INVITED", "field": ["input", "attended"]}]
    assert (await organizer.stored(event))["status"] == "PLANNED"
    assert await organizer.guests(event) == before
    assert await bank.count(FollowUp) == 0


async def test_attendance_waits_for_the_event_to_start(bank: Bank, organizer: Organizer):
    guest = await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, guest)
    await organizer.answer(event, guest, True)
    organizer.clock.move(timedelta(days=7, seconds=-1))

    payload = await organizer.recording(event, guest)

    assert codes(payload) == ["EVENT_NOT_STARTED"]
    assert await organizer.guests(event) == {guest["customerNo"]: "ACCEPTED"}
    assert await bank.count(FollowUp) == 0


async def test_a_cancelled_event_is_not_held(bank: Bank, organizer: Organizer):
    guest = await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, guest)
    await organizer.cancelling(event)
    organizer.clock.move(timedelta(days=8))

    payload = await organizer.recording(event, guest)

    assert codes(payload) == ["EVENT_CANCELLED"]
    assert (await organizer.stored(event))["status"] == "CANCELLED"


async def test_a_held_event_is_not_cancelled(bank: Bank, organizer: Organizer):
    event, managed, *_ = await an_evening(bank, organizer)
    await organizer.recording(event, managed)

    payload = await organizer.cancelling(event, by="bj.manager")

    assert codes(payload) == ["EVENT_ALREADY_HELD"]
    assert (await organizer.stored(event))["status"] == "HELD"


async def test_attendance_is_recorded_by_whoever_runs_the_event(bank: Bank, organizer: Organizer):
    event, managed, *_ = await an_evening(bank, organizer)

    other_branch = await organizer.recording(event, managed, by="sh.manager")
    caller = await bank.sign_in("bj.teller")
    teller = await caller.execute(
        RECORD, {"input": {"eventId": event["id"], "attended": [managed["id"]]}}
    )

    assert codes(other_branch) == ["EVENT_NOT_FOUND"]
    assert error_codes(teller) == ["FORBIDDEN"]
    assert (await organizer.stored(event))["status"] == "PLANNED"
