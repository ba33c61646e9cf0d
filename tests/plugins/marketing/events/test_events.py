"""Events: planning and cancelling, invitations from a segment, a filter or a
list (honouring consent, scope and closed customers), and answers within the
seats. Every refusal has its code and changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plugins.customer.models import CustomerStatus
from plugins.marketing.events.models import Invitation, MarketingEvent
from tests.plugins.customer.conftest import SH, Bank, error_codes, resident_id
from tests.plugins.marketing.events.conftest import Organizer, codes, numbers

# ------------------------------------------------------------------ planning


async def test_head_office_plans_an_event_of_head_office(organizer: Organizer):
    event = await organizer.plan(
        name="  2026 春季财富讲座 ",
        kind="VIP_SALON",
        startsAt="2026-03-20T19:30:00+08:00",
        venue="国贸大酒店",
        capacity=40,
        description="邀请资深理财经理讲解资产配置。",
    )

    assert event | {"id": None} == {
        "id": None,
        "name": "2026 春季财富讲座",
        "kind": "VIP_SALON",
        "status": "PLANNED",
        "startsAt": "2026-03-20T11:30:00+00:00",
        "venue": "国贸大酒店",
        "capacity": 40,
        "description": "邀请资深理财经理讲解资产配置。",
        "branch": None,
        "plannedBy": {"username": "marketing"},
        "invitedCount": 0,
        "acceptedCount": 0,
        "attendedCount": 0,
    }


async def test_a_branch_manager_plans_an_event_of_their_branch(organizer: Organizer):
    event = await organizer.plan(by="bj.manager")

    assert event["branch"] == {"code": "BJ-001"}
    assert event["plannedBy"] == {"username": "bj.manager"}


async def test_a_start_without_a_time_zone_is_the_bank_s_time(organizer: Organizer):
    event = await organizer.plan(startsAt="2026-03-20T19:30:00")

    assert event["startsAt"] == "2026-03-20T11:30:00+00:00"


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        pytest.param({"startsAt": "2026-03-02T09:59:00+08:00"}, "STARTS_IN_PAST", "startsAt"),
        pytest.param({"startsAt": "2026-03-02T10:00:00+08:00"}, "STARTS_IN_PAST", "startsAt"),
        pytest.param({"capacity": 0}, "INVALID_CAPACITY", "capacity"),
        pytest.param({"capacity": -5}, "INVALID_CAPACITY", "capacity"),
        pytest.param({"name": "   "}, "REQUIRED", "name"),
        pytest.param({"venue": "x" * 101}, "TOO_LONG", "venue"),
        pytest.param({"description": "x" * 2001}, "TOO_LONG", "description"),
    ],
)
async def test_a_bad_plan_is_refused_and_nothing_is_planned(
    bank: Bank, organizer: Organizer, input, code, field
):
    payload = await organizer.planning(**input)

    assert payload["errors"] == [{"code": code, "field": ["input", field]}]
    assert payload["event"] is None
    assert await bank.count(MarketingEvent) == 0


@pytest.mark.parametrize("user", ["bj.rm", "bj.teller", "auditor"])
async def test_only_event_managers_plan_events(bank: Bank, organizer: Organizer, user: str):
    caller = await bank.sign_in(user)
    body = await caller.execute(
        "mutation($input: PlanEventInput!) { planEvent(input: $input) { errors { code } } }",
        {
            "input": {
                "name": "讲座",
                "kind": "WEALTH_SEMINAR",
                "startsAt": organizer.in_days(7),
                "venue": "会议室",
                "capacity": 10,
            }
        },
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(MarketingEvent) == 0


async def test_a_planned_event_is_cancelled_once(organizer: Organizer):
    event = await organizer.plan()

    cancelled = await organizer.cancelling(event)
    again = await organizer.cancelling(event)

    assert cancelled["errors"] == []
    assert cancelled["event"]["status"] == "CANCELLED"
    assert codes(again) == ["EVENT_CANCELLED"]


async def test_a_branch_cannot_cancel_another_branch_s_or_head_office_s_event(
    organizer: Organizer,
):
    theirs = await organizer.plan(by="sh.manager")
    head_office_s = await organizer.plan()

    for event in (theirs, head_office_s):
        payload = await organizer.cancelling(event, by="bj.manager")
        assert codes(payload) == ["EVENT_NOT_FOUND"]
        assert (await organizer.stored(event))["status"] == "PLANNED"


# ------------------------------------------------------------------ invitations


async def test_a_segment_is_invited_less_the_opted_out_the_closed_and_other_branches(
    bank: Bank, organizer: Organizer
):
    welcome, sms_only_out = await bank.register(), await bank.register()
    phone_out, closed = await bank.register(), await bank.register()
    shanghai = await bank.register(branchCode=SH)
    segment = await organizer.segment(welcome, sms_only_out, phone_out, closed, shanghai)
    await organizer.withdraw(sms_only_out, "SMS")
    await organizer.withdraw(phone_out, "PHONE")
    await bank.change(closed, status=CustomerStatus.CLOSED)
    event = await organizer.plan(by="bj.manager")

    payload = await organizer.inviting(event, by="bj.manager", segmentId=segment)

    assert payload["errors"] == []
    assert payload["invitedCount"] == 2
    assert payload["event"]["invitedCount"] == 2
    assert await organizer.guests(event) == {
        welcome["customerNo"]: "INVITED",
        sms_only_out["customerNo"]: "INVITED",
    }


async def test_invitations_by_sms_leave_out_those_who_opted_out_of_sms(
    bank: Bank, organizer: Organizer
):
    sms_out, phone_out = await bank.register(), await bank.register()
    await organizer.withdraw(sms_out, "SMS")
    await organizer.withdraw(phone_out, "PHONE")
    event = await organizer.plan()

    payload = await organizer.inviting(
        event, customerIds=[sms_out["id"], phone_out["id"]], channel="SMS"
    )

    assert payload["invitedCount"] == 1
    assert set(await organizer.guests(event)) == numbers(phone_out)


async def test_a_customer_filter_is_invited_within_the_event_s_branch(
    bank: Bank, organizer: Organizer
):
    vip = await bank.register()
    await bank.change(vip, tier="PRIVATE")
    await bank.register()  # a Beijing customer of another tier
    shanghai_vip = await bank.register(branchCode=SH)
    await bank.change(shanghai_vip, tier="PRIVATE")
    event = await organizer.plan(by="bj.manager")

    payload = await organizer.inviting(event, audience={"tier": ["PRIVATE"]})  # by head office

    assert payload["invitedCount"] == 1
    assert set(await organizer.guests(event)) == numbers(vip)


async def test_full_segment_rules_invite_in_one_go(bank: Bank, organizer: Organizer):
    senior = await bank.register(idNumber=resident_id(901, born=date(1950, 5, 1)))
    await bank.register(idNumber=resident_id(902, born=date(1995, 5, 1)))
    event = await organizer.plan()

    payload = await organizer.inviting(event, audienceRules={"ageFrom": 60})

    assert payload["invitedCount"] == 1
    assert set(await organizer.guests(event)) == numbers(senior)


async def test_head_office_s_event_invites_every_branch_s_customers(
    bank: Bank, organizer: Organizer
):
    beijing, shanghai = await bank.register(), await bank.register(branchCode=SH)
    event = await organizer.plan()

    assert await organizer.invite(event, beijing, shanghai) == 2
    assert set(await organizer.guests(event)) == numbers(beijing, shanghai)


async def test_hand_picked_customers_out_of_the_branch_or_closed_are_left_out(
    bank: Bank, organizer: Organizer
):
    beijing, shanghai, closed = (
        await bank.register(),
        await bank.register(branchCode=SH),
        await bank.register(),
    )
    await bank.change(closed, status=CustomerStatus.CLOSED)
    event = await organizer.plan(by="bj.manager")

    assert await organizer.invite(event, beijing, shanghai, closed, by="bj.manager") == 1
    assert set(await organizer.guests(event)) == numbers(beijing)


async def test_customers_already_invited_are_not_invited_twice(bank: Bank, organizer: Organizer):
    first, second = await bank.register(), await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, first)
    await organizer.answer(event, first, True)

    assert await organizer.invite(event, first, second) == 1
    assert await organizer.guests(event) == {
        first["customerNo"]: "ACCEPTED",
        second["customerNo"]: "INVITED",
    }


@pytest.mark.parametrize(
    ("audience", "code", "field"),
    [
        pytest.param({}, "AUDIENCE_REQUIRED", ["input"], id="none"),
        pytest.param(
            {"audience": {"tier": ["PRIVATE"]}, "customerIds": []},
            "CONFLICTING_AUDIENCE",
            ["input"],
            id="two",
        ),
        pytest.param(
            {"audience": {"tier": ["PRIVATE"]}, "audienceRules": {"ageFrom": 60}},
            "AMBIGUOUS_RULES",
            ["input", "audienceRules"],
            id="filter and rules",
        ),
        pytest.param(
            {"segmentId": "U2VnbWVudDo5OTk="}, "NOT_FOUND", ["input", "segmentId"], id="no segment"
        ),
        pytest.param(
            {"customerIds": ["VXNlcjox"]}, "NOT_FOUND", ["input", "customerIds"], id="not customers"
        ),
    ],
)
async def test_an_invitation_needs_one_audience(
    bank: Bank, organizer: Organizer, audience, code, field
):
    await bank.register()
    event = await organizer.plan()

    payload = await organizer.inviting(event, **audience)

    assert payload["errors"] == [{"code": code, "field": field}]
    assert await bank.count(Invitation) == 0


async def test_a_branch_cannot_invite_to_head_office_s_event(bank: Bank, organizer: Organizer):
    customer = await bank.register()
    event = await organizer.plan()

    payload = await organizer.inviting(event, by="bj.manager", customerIds=[customer["id"]])

    assert codes(payload) == ["EVENT_NOT_FOUND"]
    assert await bank.count(Invitation) == 0


async def test_nobody_is_invited_to_a_cancelled_held_or_started_event(
    bank: Bank, organizer: Organizer
):
    guest, latecomer = await bank.register(), await bank.register()
    cancelled, held, started = [await organizer.plan(startsAt=organizer.in_days(1)) for _ in "abc"]
    await organizer.cancelling(cancelled)
    for event in (held, started):
        await organizer.invite(event, guest)
    organizer.clock.move(timedelta(days=2))
    await organizer.recording(held, guest)

    refusals = {}
    for event in (cancelled, held, started):
        payload = await organizer.inviting(event, customerIds=[latecomer["id"]])
        refusals[event["name"]] = codes(payload)

    assert list(refusals.values()) == [
        ["EVENT_CANCELLED"],
        ["EVENT_ALREADY_HELD"],
        ["EVENT_STARTED"],
    ]
    assert await bank.count(Invitation) == 2


# ------------------------------------------------------------------ answers


async def test_an_answer_is_recorded_and_may_change_before_the_event(
    bank: Bank, organizer: Organizer
):
    guest = await bank.register()
    event = await organizer.plan(by="bj.manager")
    await organizer.invite(event, guest, by="bj.manager")

    accepted = await organizer.answering(event, guest, True)
    assert accepted["errors"] == []
    assert accepted["invitation"]["status"] == "ACCEPTED"
    assert accepted["invitation"]["customer"] == {"customerNo": guest["customerNo"]}
    assert (await organizer.read(event))["acceptedCount"] == 1

    declined = await organizer.answering(event, guest, False)
    assert declined["invitation"]["status"] == "DECLINED"
    assert (await organizer.read(event))["acceptedCount"] == 0

    organizer.clock.set(organizer.clock.now + timedelta(days=7, seconds=-1))
    again = await organizer.answering(event, guest, True)
    assert again["invitation"]["status"] == "ACCEPTED"


async def test_no_answer_once_the_event_has_started(bank: Bank, organizer: Organizer):
    guest = await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, guest)
    organizer.clock.move(timedelta(days=7))

    payload = await organizer.answering(event, guest, True)

    assert payload["errors"] == [{"code": "EVENT_STARTED", "field": ["input", "eventId"]}]
    assert await organizer.guests(event) == {guest["customerNo"]: "INVITED"}


async def test_accepting_beyond_the_capacity_is_refused_until_a_seat_is_freed(
    bank: Bank, organizer: Organizer
):
    first, second, third = [await bank.register() for _ in range(3)]
    event = await organizer.plan(capacity=2)
    await organizer.invite(event, first, second, third)
    await organizer.answer(event, first, True)
    await organizer.answer(event, second, True)

    full = await organizer.answering(event, third, True)
    await organizer.answer(event, second, True)  # accepting again takes no second seat
    await organizer.answer(event, third, False)  # declining needs no seat
    await organizer.answer(event, first, False)
    freed = await organizer.answering(event, third, True)

    assert full["errors"] == [{"code": "EVENT_FULL", "field": ["input", "accept"]}]
    assert full["invitation"] is None
    assert freed["errors"] == []
    assert await organizer.guests(event) == {
        first["customerNo"]: "DECLINED",
        second["customerNo"]: "ACCEPTED",
        third["customerNo"]: "ACCEPTED",
    }


async def test_only_invited_customers_in_your_scope_answer(bank: Bank, organizer: Organizer):
    guest, stranger = await bank.register(), await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, guest)

    not_invited = await organizer.answering(event, stranger, True)
    out_of_scope = await organizer.answering(event, guest, True, by="sh.teller")
    not_managed = await organizer.answering(event, guest, True, by="bj.rm")

    assert not_invited["errors"] == [{"code": "NOT_INVITED", "field": ["input", "customerId"]}]
    assert codes(out_of_scope) == ["NOT_FOUND"]
    assert codes(not_managed) == ["NOT_FOUND"]
    assert await organizer.guests(event) == {guest["customerNo"]: "INVITED"}


async def test_a_relationship_manager_answers_for_their_customer(bank: Bank, organizer: Organizer):
    guest = await bank.register()
    await bank.assign(guest, "bj.rm")
    event = await organizer.plan()
    await organizer.invite(event, guest)

    assert (await organizer.answering(event, guest, True, by="bj.rm"))["errors"] == []


async def test_another_branch_s_event_looks_missing_to_those_answering(
    bank: Bank, organizer: Organizer
):
    guest = await bank.register(branchCode=SH)
    event = await organizer.plan(by="sh.manager")
    await organizer.invite(event, guest, by="sh.manager")

    payload = await organizer.answering(event, guest, True, by="admin")
    refused = await organizer.answering(event, guest, True, by="bj.manager")

    assert payload["errors"] == []
    assert codes(refused) == ["NOT_FOUND"]  # the Shanghai customer, first


async def test_no_answer_to_a_cancelled_event(bank: Bank, organizer: Organizer):
    guest = await bank.register()
    event = await organizer.plan()
    await organizer.invite(event, guest)
    await organizer.cancelling(event)

    payload = await organizer.answering(event, guest, True)

    assert codes(payload) == ["EVENT_CANCELLED"]
    assert await organizer.guests(event) == {guest["customerNo"]: "INVITED"}
