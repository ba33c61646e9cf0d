"""Follow-up tasks (引导跟进): scheduling one for yourself or a colleague, doing or
dropping it, a customer's tasks, and a member of staff's list of what is due."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.authorization import Role
from core.db import Mode
from plugins.customer.models import CustomerStatus, FollowUp, FollowUpStatus
from tests.plugins.customer.conftest import (
    SH,
    Bank,
    codes_and_fields,
    error_codes,
    global_id,
)

FOLLOW_UP_FIELDS = """
  id title dueOn status overdue completedAt closingNote
  customer { customerNo } assignee { username } createdBy { username }
"""
SCHEDULE = f"""
mutation($input: ScheduleFollowUpInput!) {{
  scheduleFollowUp(input: $input) {{
    followUp {{ {FOLLOW_UP_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
COMPLETE = f"""
mutation($input: CompleteFollowUpInput!) {{
  completeFollowUp(input: $input) {{
    followUp {{ {FOLLOW_UP_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
CANCEL = f"""
mutation($input: CancelFollowUpInput!) {{
  cancelFollowUp(input: $input) {{
    followUp {{ {FOLLOW_UP_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
MY_FOLLOW_UPS = """
query($dueBy: Date) { myFollowUps(dueBy: $dueBy) { title dueOn overdue customer { customerNo } } }
"""
CUSTOMER_FOLLOW_UPS = """
query($id: ID!, $status: [FollowUpStatus!]) {
  customer(id: $id) { followUps(status: $status) { title status } }
}
"""


def today(bank: Bank) -> date:
    return bank.runtime.settings.today()


def task(bank: Bank, customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A valid ScheduleFollowUpInput: a call back in a week, for the caller."""
    return {
        "customerId": customer["id"],
        "title": "Call back about the fund subscription",
        "dueOn": (today(bank) + timedelta(days=7)).isoformat(),
    } | changes


async def run(bank: Bank, by: str, mutation: str, input: dict[str, Any]) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    body = await caller.data(mutation, {"input": input})
    return next(iter(body.values()))


async def follow_ups(bank: Bank) -> list[FollowUp]:
    async with bank.runtime.database.transaction(Mode.READ) as session:
        return list(await session.scalars(select(FollowUp)))


@pytest.fixture
async def customer(bank: Bank) -> dict[str, Any]:
    """A customer of BJ-001 managed by ``bj.rm``."""
    customer = await bank.register()
    await bank.assign(customer, "bj.rm")
    return customer


# ---------------------------------------------------------------- scheduling


async def test_a_follow_up_is_for_the_caller_unless_said_otherwise(bank, customer):
    payload = await run(bank, "bj.rm", SCHEDULE, task(bank, customer, title="  Send the brochure "))

    assert payload["errors"] == []
    follow_up = payload["followUp"]
    del follow_up["id"]
    assert follow_up == {
        "title": "Send the brochure",
        "dueOn": (today(bank) + timedelta(days=7)).isoformat(),
        "status": "OPEN",
        "overdue": False,
        "completedAt": None,
        "closingNote": None,
        "customer": {"customerNo": customer["customerNo"]},
        "assignee": {"username": "bj.rm"},
        "createdBy": {"username": "bj.rm"},
    }


async def test_a_follow_up_may_be_due_today(bank, customer):
    payload = await run(
        bank, "bj.rm", SCHEDULE, task(bank, customer, dueOn=today(bank).isoformat())
    )

    assert payload["errors"] == []
    assert payload["followUp"]["overdue"] is False


@pytest.mark.parametrize("assignee", ["bj.rm", "bj.agent", "bj.teller", "admin", "auditor"])
async def test_a_colleague_who_can_reach_the_customer_may_be_given_it(bank, customer, assignee):
    payload = await run(
        bank, "bj.manager", SCHEDULE, task(bank, customer, assigneeId=bank.user(assignee))
    )

    assert payload["errors"] == []
    assert payload["followUp"]["assignee"] == {"username": assignee}
    assert payload["followUp"]["createdBy"] == {"username": "bj.manager"}


async def test_a_shared_customer_may_be_given_to_the_colleague_it_is_shared_with(bank, customer):
    await bank.share(customer, "sh.rm")

    payload = await run(
        bank, "bj.manager", SCHEDULE, task(bank, customer, assigneeId=bank.user("sh.rm"))
    )

    assert payload["errors"] == []


async def test_staff_who_cannot_reach_the_customer_are_not_found(bank, customer):
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch="BJ-001")
    await bank.add_staff("bj.gone", Role.RELATIONSHIP_MANAGER, branch="BJ-001", active=False)
    assignees = [
        bank.user("sh.rm"),  # another branch
        bank.user("sh.manager"),
        bank.user("bj.rm2"),  # the same branch, but another manager's portfolio
        bank.user("bj.gone"),  # left the bank
        global_id("User", 999_999),
        global_id("Customer", bank.user_ids["bj.agent"]),
    ]

    refusals = [
        await run(bank, "bj.manager", SCHEDULE, task(bank, customer, assigneeId=assignee))
        for assignee in assignees
    ]

    for payload in refusals:
        assert payload["followUp"] is None
        assert codes_and_fields(payload) == [("NOT_FOUND", ["input", "assigneeId"])]
    assert await bank.count(FollowUp) == 0


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": ""}, "REQUIRED", "title"),
        ({"title": " \t "}, "REQUIRED", "title"),
        ({"title": "x" * 201}, "TOO_LONG", "title"),
        ({"title": "a\x07b"}, "INVALID_CHARACTERS", "title"),
        ({"dueOn": "YESTERDAY"}, "DUE_DATE_IN_PAST", "dueOn"),
    ],
    ids=["empty", "blank", "too-long", "control-character", "yesterday"],
)
async def test_a_bad_follow_up_is_refused_and_nothing_is_written(
    bank, customer, changes, code, field
):
    if changes.get("dueOn") == "YESTERDAY":
        changes = {"dueOn": (today(bank) - timedelta(days=1)).isoformat()}

    payload = await run(bank, "bj.rm", SCHEDULE, task(bank, customer, **changes))

    assert payload["followUp"] is None
    assert codes_and_fields(payload) == [(code, ["input", field])]
    assert await bank.count(FollowUp) == 0


async def test_a_customer_out_of_scope_looks_missing(bank, customer):
    shanghai = await bank.register(branchCode=SH)

    payload = await run(bank, "bj.manager", SCHEDULE, task(bank, shanghai))

    assert codes_and_fields(payload) == [("NOT_FOUND", ["input", "customerId"])]
    assert await bank.count(FollowUp) == 0


async def test_a_closed_customer_gets_no_new_follow_ups(bank, customer):
    await bank.change(customer, status=CustomerStatus.CLOSED)

    payload = await run(bank, "bj.manager", SCHEDULE, task(bank, customer))

    assert codes_and_fields(payload) == [("CUSTOMER_CLOSED", ["input", "customerId"])]
    assert await bank.count(FollowUp) == 0


@pytest.mark.parametrize("role", ["bj.teller", "marketing", "auditor"])
async def test_staff_without_customer_contact_may_not_schedule(bank, customer, role):
    caller = await bank.sign_in(role)

    body = await caller.execute(SCHEDULE, {"input": task(bank, customer)})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(FollowUp) == 0


# ---------------------------------------------------------------- doing and dropping


async def scheduled(bank: Bank, customer: dict[str, Any], by: str = "bj.rm") -> dict[str, Any]:
    payload = await run(bank, by, SCHEDULE, task(bank, customer))
    assert payload["errors"] == []
    return payload["followUp"]


async def test_an_open_follow_up_is_done_once(bank, customer):
    follow_up = await scheduled(bank, customer)

    done = await run(
        bank, "bj.rm", COMPLETE, {"followUpId": follow_up["id"], "outcome": "Subscribed."}
    )
    again = await run(bank, "bj.rm", COMPLETE, {"followUpId": follow_up["id"]})

    assert done["errors"] == []
    assert done["followUp"]["status"] == "DONE"
    assert done["followUp"]["completedAt"] is not None
    assert done["followUp"]["closingNote"] == "Subscribed."
    assert codes_and_fields(again) == [("FOLLOW_UP_NOT_OPEN", ["input", "followUpId"])]


async def test_an_open_follow_up_is_cancelled_with_a_reason(bank, customer):
    follow_up = await scheduled(bank, customer)

    cancelled = await run(
        bank, "bj.rm", CANCEL, {"followUpId": follow_up["id"], "reason": "Customer moved abroad."}
    )
    then_done = await run(bank, "bj.rm", COMPLETE, {"followUpId": follow_up["id"]})

    assert cancelled["errors"] == []
    assert cancelled["followUp"]["status"] == "CANCELLED"
    assert cancelled["followUp"]["closingNote"] == "Customer moved abroad."
    assert codes_and_fields(then_done) == [("FOLLOW_UP_NOT_OPEN", ["input", "followUpId"])]
    assert [row.status for row in await follow_ups(bank)] == [FollowUpStatus.CANCELLED]


async def test_a_done_follow_up_cannot_be_cancelled(bank, customer):
    follow_up = await scheduled(bank, customer)
    await run(bank, "bj.rm", COMPLETE, {"followUpId": follow_up["id"]})

    payload = await run(bank, "bj.rm", CANCEL, {"followUpId": follow_up["id"], "reason": "Oops."})

    assert codes_and_fields(payload) == [("FOLLOW_UP_NOT_OPEN", ["input", "followUpId"])]
    assert [row.status for row in await follow_ups(bank)] == [FollowUpStatus.DONE]


@pytest.mark.parametrize(
    ("mutation", "changes", "code", "field"),
    [
        (CANCEL, {"reason": ""}, "REQUIRED", "reason"),
        (CANCEL, {"reason": "x" * 2001}, "TOO_LONG", "reason"),
        (COMPLETE, {"outcome": "x" * 2001}, "TOO_LONG", "outcome"),
    ],
    ids=["cancel-without-reason", "cancel-reason-too-long", "outcome-too-long"],
)
async def test_a_bad_reason_or_outcome_leaves_the_follow_up_open(
    bank, customer, mutation, changes, code, field
):
    follow_up = await scheduled(bank, customer)

    payload = await run(bank, "bj.rm", mutation, {"followUpId": follow_up["id"]} | changes)

    assert codes_and_fields(payload) == [(code, ["input", field])]
    assert [row.status for row in await follow_ups(bank)] == [FollowUpStatus.OPEN]


async def test_a_follow_up_out_of_scope_looks_missing(bank, customer):
    follow_up = await scheduled(bank, customer)

    refusals = [
        await run(bank, "sh.manager", COMPLETE, {"followUpId": follow_up["id"]}),
        await run(bank, "sh.agent", CANCEL, {"followUpId": follow_up["id"], "reason": "No."}),
        await run(bank, "bj.rm", COMPLETE, {"followUpId": customer["id"]}),
    ]

    for payload in refusals:
        assert codes_and_fields(payload) == [("NOT_FOUND", ["input", "followUpId"])]
    assert [row.status for row in await follow_ups(bank)] == [FollowUpStatus.OPEN]


# ---------------------------------------------------------------- reading them


async def add_follow_up(
    bank: Bank,
    customer: dict[str, Any],
    title: str,
    due_on: date,
    assignee: str = "bj.rm",
    status: FollowUpStatus = FollowUpStatus.OPEN,
) -> None:
    """Straight into the table: the API refuses due dates in the past."""
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        session.add(
            FollowUp(
                customer_id=await bank.customer_id(customer),
                assignee_id=bank.user_ids[assignee],
                title=title,
                due_on=due_on,
                status=status,
                created_by_id=bank.user_ids["bj.manager"],
            )
        )


async def test_my_follow_ups_are_my_open_ones_due_by_today_overdue_first(bank, customer):
    day = today(bank)
    await add_follow_up(bank, customer, "due today", day)
    await add_follow_up(bank, customer, "tomorrow", day + timedelta(days=1))
    await add_follow_up(bank, customer, "three days late", day - timedelta(days=3))
    await add_follow_up(bank, customer, "a day late", day - timedelta(days=1))
    await add_follow_up(bank, customer, "done", day - timedelta(days=2), status=FollowUpStatus.DONE)
    await add_follow_up(
        bank, customer, "dropped", day - timedelta(days=2), status=FollowUpStatus.CANCELLED
    )
    await add_follow_up(bank, customer, "the agent's", day, assignee="bj.agent")
    caller = await bank.sign_in("bj.rm")

    due_today = (await caller.data(MY_FOLLOW_UPS))["myFollowUps"]
    due_tomorrow = (await caller.data(MY_FOLLOW_UPS, {"dueBy": str(day + timedelta(days=1))}))[
        "myFollowUps"
    ]

    assert [(f["title"], f["overdue"]) for f in due_today] == [
        ("three days late", True),
        ("a day late", True),
        ("due today", False),
    ]
    assert due_today[0]["customer"] == {"customerNo": customer["customerNo"]}
    assert [f["title"] for f in due_tomorrow] == [
        "three days late",
        "a day late",
        "due today",
        "tomorrow",
    ]


async def test_an_empty_task_list_is_empty(bank, customer):
    caller = await bank.sign_in("bj.agent")

    assert (await caller.data(MY_FOLLOW_UPS))["myFollowUps"] == []


@pytest.mark.parametrize("role", ["bj.teller", "marketing"])
async def test_staff_without_customer_contact_have_no_task_list(bank, role):
    caller = await bank.sign_in(role)

    assert error_codes(await caller.execute(MY_FOLLOW_UPS)) == ["FORBIDDEN"]


async def test_a_customers_follow_ups_by_due_date_filtered_by_status(bank, customer):
    day = today(bank)
    await add_follow_up(bank, customer, "later", day + timedelta(days=9))
    await add_follow_up(bank, customer, "done", day - timedelta(days=2), status=FollowUpStatus.DONE)
    await add_follow_up(bank, customer, "sooner", day, assignee="bj.agent")
    await add_follow_up(
        bank, customer, "dropped", day, status=FollowUpStatus.CANCELLED, assignee="admin"
    )
    other = await bank.register()
    await add_follow_up(bank, other, "someone else's", day)
    reader = await bank.sign_in("bj.teller")

    async def titles(status: list[str] | None) -> list[str]:
        body = await reader.data(CUSTOMER_FOLLOW_UPS, {"id": customer["id"], "status": status})
        return [f["title"] for f in body["customer"]["followUps"]]

    assert await titles(None) == ["done", "sooner", "dropped", "later"]
    assert await titles(["OPEN"]) == ["sooner", "later"]
    assert await titles(["DONE", "CANCELLED"]) == ["done", "dropped"]
    assert await titles([]) == []
