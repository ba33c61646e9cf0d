"""Leads: recorded as NEW with where they came from, moved forward through the
pipeline to WON or dropped as LOST, worked within the recorder's scope, their
personal data masked, and summed up per stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.authorization import Role
from core.columns import utcnow
from core.db import Mode
from plugins.marketing.events.models import EventKind, MarketingEvent
from plugins.marketing.leads.models import Lead, LeadStageChange
from plugins.marketing.models import Campaign, CampaignChannel
from tests.plugins.customer.conftest import BJ, SH, Bank, error_codes, global_id
from tests.plugins.marketing.conftest import codes
from tests.plugins.marketing.prospects import (
    LEAD,
    LEADS,
    NODE,
    STAGES,
    create_lead,
    lead_at,
    move,
    new_lead,
    read_lead,
    update,
)
from tests.plugins.security.audit.records import personal_data_audit

# ------------------------------------------------------------------ recording


async def test_a_lead_is_recorded_as_new_owned_by_its_recorder_in_their_branch(bank):
    lead = await new_lead(bank, "bj.rm", expectedAmount="500000", probability=20, note="想买理财")

    assert lead["stage"] == "NEW"
    assert lead["owner"] == {"username": "bj.rm"}
    assert lead["branch"] == {"code": BJ}
    assert lead["expectedAmount"] == {"amount": "500000.00", "currency": "CNY"}
    assert lead["probability"] == 20
    assert lead["note"] == "想买理财"
    assert lead["stageHistory"] == [
        {"fromStage": None, "toStage": "NEW", "note": None, "changedBy": {"username": "bj.rm"}}
    ]
    assert lead["customer"] is None


async def test_a_lead_may_be_given_to_a_colleague_of_the_branch(bank):
    lead = await new_lead(bank, "bj.manager", ownerId=bank.user("bj.rm"))

    assert lead["owner"] == {"username": "bj.rm"}
    assert lead["branch"] == {"code": BJ}


async def test_head_office_records_a_lead_for_a_branch_by_naming_its_owner(bank):
    lead = await new_lead(bank, "admin", ownerId=bank.user("sh.rm"))

    assert lead["owner"] == {"username": "sh.rm"}
    assert lead["branch"] == {"code": SH}


@pytest.mark.parametrize(
    ("by", "owner", "code"),
    [
        ("admin", None, "OWNER_REQUIRED"),
        ("admin", "marketing", "OWNER_WITHOUT_BRANCH"),
        ("bj.manager", "sh.rm", "NOT_FOUND"),
        ("bj.manager", "bj.teller", "OWNER_CANNOT_MANAGE_LEADS"),
        ("bj.manager", "gone.rm", "NOT_FOUND"),
    ],
)
async def test_a_lead_is_owned_by_active_staff_of_a_branch_who_work_leads(bank, by, owner, code):
    await bank.add_staff("gone.rm", Role.RELATIONSHIP_MANAGER, branch=BJ, active=False)
    given = {"ownerId": bank.user(owner)} if owner else {}

    payload = await create_lead(bank, by, **given)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", "ownerId"])]
    assert await bank.count(Lead) == 0


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"name": "  "}, "REQUIRED", "name"),
        ({"phone": "12345"}, "INVALID_PHONE", "phone"),
        ({"email": "not-an-email"}, "INVALID_EMAIL", "email"),
        ({"probability": 101}, "INVALID_PROBABILITY", "probability"),
        ({"probability": -1}, "INVALID_PROBABILITY", "probability"),
        ({"expectedAmount": "-0.01"}, "INVALID_AMOUNT", "expectedAmount"),
        ({"expectedAmount": "10.001"}, "INVALID_AMOUNT", "expectedAmount"),
        ({"productCode": "NO-SUCH"}, "NOT_FOUND", "productCode"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_recorded(bank, input, code, field):
    payload = await create_lead(bank, **input)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", field])]
    assert payload["lead"] is None
    assert await bank.count(Lead) == 0
    assert await bank.count(LeadStageChange) == 0


async def test_an_expected_amount_of_nothing_yet_is_kept_as_zero(bank):
    lead = await new_lead(bank, expectedAmount="0", probability=0, productCode="WM-R2-STEADY")

    assert lead["expectedAmount"]["amount"] == "0.00"
    assert lead["probability"] == 0
    assert lead["product"] == {"code": "WM-R2-STEADY"}


# ------------------------------------------------------------------ sources


async def event(bank: Bank, branch: str | None) -> str:
    """A seminar run by ``branch`` (None: head office); its global ID."""
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        row = MarketingEvent(
            name="财富讲座",
            kind=EventKind.WEALTH_SEMINAR,
            starts_at=utcnow() + timedelta(days=7),
            venue="总行大厦",
            capacity=50,
            branch_id=bank.branch_ids[branch] if branch else None,
            created_by=bank.user_ids["admin"],
        )
        session.add(row)
        await session.flush()
        return global_id("Event", row.id)  # type: ignore[arg-type]


async def campaign(bank: Bank, branch: str | None) -> str:
    """A draft campaign run by ``branch`` (None: head office); its global ID."""
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        row = Campaign(
            name="春季理财推广",
            channel=CampaignChannel.SMS,
            branch_id=bank.branch_ids[branch] if branch else None,
            created_by=bank.user_ids["admin"],
        )
        session.add(row)
        await session.flush()
        return global_id("Campaign", row.id)  # type: ignore[arg-type]


async def test_a_referral_names_the_referring_customer(bank):
    referrer = await bank.register(by="bj.rm")

    lead = await new_lead(bank, source="REFERRAL", referredByCustomerId=referrer["id"])

    assert lead["source"] == "REFERRAL"
    assert lead["referredBy"] == {"customerNo": referrer["customerNo"]}


async def test_an_event_a_campaign_or_a_partner_is_named_by_such_a_lead(bank):
    by_event = await new_lead(bank, source="EVENT", eventId=await event(bank, BJ))
    by_campaign = await new_lead(bank, source="CAMPAIGN", campaignId=await campaign(bank, None))
    by_partner = await new_lead(bank, source="PARTNER", partner="  某某律师事务所 ")

    assert by_event["event"] == {"name": "财富讲座"}
    assert by_campaign["campaign"] == {"name": "春季理财推广"}
    assert by_partner["partner"] == "某某律师事务所"


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("REFERRAL", "referredByCustomerId"),
        ("EVENT", "eventId"),
        ("CAMPAIGN", "campaignId"),
        ("PARTNER", "partner"),
    ],
)
async def test_a_source_without_its_reference_is_refused(bank, source, field):
    payload = await create_lead(bank, source=source)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("SOURCE_DETAIL_REQUIRED", ["input", field])
    ]
    assert await bank.count(Lead) == 0


async def test_a_blank_partner_name_is_no_partner(bank):
    payload = await create_lead(bank, source="PARTNER", partner="   ")

    assert codes(payload) == ["REQUIRED"]


async def test_a_reference_the_source_does_not_call_for_is_refused(bank):
    referrer = await bank.register(by="bj.rm")

    walk_in = await create_lead(bank, source="WALK_IN", partner="某某律师事务所")
    partner = await create_lead(
        bank, source="PARTNER", partner="某某律师事务所", referredByCustomerId=referrer["id"]
    )

    assert [(e["code"], e["field"]) for e in walk_in["errors"]] == [
        ("SOURCE_DETAIL_NOT_EXPECTED", ["input", "partner"])
    ]
    assert [(e["code"], e["field"]) for e in partner["errors"]] == [
        ("SOURCE_DETAIL_NOT_EXPECTED", ["input", "referredByCustomerId"])
    ]
    assert await bank.count(Lead) == 0


async def test_references_out_of_the_recorder_s_scope_look_missing(bank):
    shanghai_customer = await bank.register(branchCode=SH)
    not_my_customer = await bank.register(by="admin")  # of BJ, managed by nobody
    shanghai_event = await event(bank, SH)
    shanghai_campaign = await campaign(bank, SH)

    refused = [
        await create_lead(
            bank, "bj.manager", source="REFERRAL", referredByCustomerId=shanghai_customer["id"]
        ),
        await create_lead(
            bank, "bj.rm", source="REFERRAL", referredByCustomerId=not_my_customer["id"]
        ),
        await create_lead(bank, "bj.manager", source="EVENT", eventId=shanghai_event),
        await create_lead(bank, "bj.manager", source="CAMPAIGN", campaignId=shanghai_campaign),
        await create_lead(bank, "bj.manager", source="EVENT", eventId=shanghai_campaign),
        await create_lead(bank, "bj.manager", source="EVENT", eventId=global_id("Event", 999)),
    ]

    assert [codes(payload) for payload in refused] == [["NOT_FOUND"]] * 6
    assert await bank.count(Lead) == 0


async def test_head_office_s_events_and_campaigns_are_every_branch_s_sources(bank):
    lead = await new_lead(bank, "sh.manager", source="EVENT", eventId=await event(bank, None))

    assert lead["branch"] == {"code": SH}


# ------------------------------------------------------------------ the stage machine

FORWARD = ("NEW", "CONTACTED", "QUALIFIED", "PROPOSAL", "WON")


def legal(start: str, to: str) -> bool:
    """Forward from an open stage (skipping allowed), or to LOST from an open stage."""
    if start in ("WON", "LOST"):
        return False
    return to == "LOST" or (to in FORWARD and FORWARD.index(to) > FORWARD.index(start))


@pytest.mark.parametrize("start", STAGES)
async def test_every_move_from_a_stage_is_legal_or_refused_by_the_rule(bank, start):
    """From each stage, a move to every stage: forward (by one step or more) and
    LOST from an open stage succeed and are recorded; anything else (back,
    standing still, out of WON or LOST) is ILLEGAL_TRANSITION, changing nothing."""
    for to in STAGES:
        lead = await lead_at(bank, start)
        reason = {"reason": "预算不足"} if to == "LOST" else {}

        payload = await move(bank, lead, to, note=f"{start}→{to}", **reason)

        now = await read_lead(bank, lead)
        if legal(start, to):
            assert payload["errors"] == [], (start, to)
            assert now["stage"] == to
            assert now["stageHistory"][-1] == {
                "fromStage": start,
                "toStage": to,
                "note": f"{start}→{to}",
                "changedBy": {"username": "bj.rm"},
            }
        else:
            assert [(e["code"], e["field"]) for e in payload["errors"]] == [
                ("ILLEGAL_TRANSITION", ["input", "stage"])
            ], (start, to)
            assert now == lead


async def test_a_lead_moved_step_by_step_keeps_every_step(bank):
    lead = await new_lead(bank)
    for stage in FORWARD[1:]:
        assert (await move(bank, lead, stage))["errors"] == []

    history = (await read_lead(bank, lead))["stageHistory"]  # type: ignore[index]

    assert [(h["fromStage"], h["toStage"]) for h in history] == [
        (None, "NEW"),
        ("NEW", "CONTACTED"),
        ("CONTACTED", "QUALIFIED"),
        ("QUALIFIED", "PROPOSAL"),
        ("PROPOSAL", "WON"),
    ]


async def test_a_lost_lead_needs_the_reason_and_no_other_move_takes_one(bank):
    lead = await new_lead(bank, probability=40)

    without = await move(bank, lead, "LOST")
    blank = await move(bank, lead, "LOST", reason="  ")
    misplaced = await move(bank, lead, "CONTACTED", reason="没什么")

    assert [(e["code"], e["field"]) for e in without["errors"]] == [
        ("REASON_REQUIRED", ["input", "reason"])
    ]
    assert codes(blank) == ["REASON_REQUIRED"]
    assert codes(misplaced) == ["REASON_NOT_EXPECTED"]
    assert await read_lead(bank, lead) == lead


async def test_losing_a_lead_keeps_the_reason_and_makes_it_certain_not_to_come(bank):
    lead = await new_lead(bank, probability=40)

    lost = (await move(bank, lead, "LOST", reason="买了别家的产品"))["lead"]

    assert lost["lostReason"] == "买了别家的产品"
    assert lost["probability"] == 0


async def test_winning_a_lead_makes_it_certain(bank):
    lead = await new_lead(bank, probability=40)

    won = (await move(bank, lead, "WON"))["lead"]

    assert won["probability"] == 100


# ------------------------------------------------------------------ changing a lead


async def test_an_open_lead_s_terms_change_and_what_is_left_out_stays(bank):
    lead = await new_lead(bank, expectedAmount="100000", probability=10, note="初次接触")

    payload = await update(
        bank, lead, probability=60, productCode="DEP-CD-3Y", ownerId=bank.user("bj.manager")
    )

    assert payload["errors"] == []
    changed = payload["lead"]
    assert changed["probability"] == 60
    assert changed["product"] == {"code": "DEP-CD-3Y"}
    assert changed["owner"] == {"username": "bj.manager"}
    assert changed["expectedAmount"]["amount"] == "100000.00"
    assert changed["note"] == "初次接触"


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"probability": 101}, "INVALID_PROBABILITY", "probability"),
        ({"expectedAmount": "-5"}, "INVALID_AMOUNT", "expectedAmount"),
        ({"productCode": "NO-SUCH"}, "NOT_FOUND", "productCode"),
        ({"ownerId": "sh.rm"}, "NOT_FOUND", "ownerId"),
        ({"ownerId": "bj.teller"}, "OWNER_CANNOT_MANAGE_LEADS", "ownerId"),
    ],
)
async def test_a_bad_change_is_refused_and_changes_nothing(bank, input, code, field):
    lead = await new_lead(bank, "bj.manager", probability=10)
    if "ownerId" in input:
        input = {"ownerId": bank.user(input["ownerId"])}

    payload = await update(bank, lead, "bj.manager", note="改了", **input)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", field])]
    assert await read_lead(bank, lead, "bj.manager") == lead


async def test_head_office_cannot_give_a_lead_to_another_branch(bank):
    lead = await new_lead(bank, "bj.rm")

    payload = await update(bank, lead, "admin", ownerId=bank.user("sh.rm"))

    assert codes(payload) == ["OWNER_OF_ANOTHER_BRANCH"]


@pytest.mark.parametrize("stage", ["WON", "LOST"])
async def test_a_decided_lead_no_longer_changes(bank, stage):
    lead = await lead_at(bank, stage)

    payload = await update(bank, lead, probability=50)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("LEAD_CLOSED", ["input"])]


# ------------------------------------------------------------------ scope and masking


async def test_branch_staff_see_their_branch_s_leads_and_a_manager_only_their_own(bank):
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    lead = await new_lead(bank, "bj.rm")

    assert (await read_lead(bank, lead, "bj.rm"))["stage"] == "NEW"  # type: ignore[index]
    assert (await read_lead(bank, lead, "bj.manager"))["stage"] == "NEW"  # type: ignore[index]
    assert (await read_lead(bank, lead, "admin"))["stage"] == "NEW"  # type: ignore[index]
    assert (await read_lead(bank, lead, "auditor"))["stage"] == "NEW"  # type: ignore[index]
    assert await read_lead(bank, lead, "bj.rm2") is None
    assert await read_lead(bank, lead, "sh.manager") is None


async def test_another_branch_s_lead_looks_missing_everywhere(bank):
    lead = await new_lead(bank, "bj.rm")
    shanghai = await bank.sign_in("sh.manager")

    node = (await shanghai.data(NODE, {"id": lead["id"]}))["node"]
    listed = (await shanghai.data(LEADS))["leads"]
    moved = await move(bank, lead, "CONTACTED", by="sh.manager")
    updated = await update(bank, lead, "sh.manager", probability=90)

    assert node is None
    assert listed["totalCount"] == 0
    assert [(e["code"], e["field"]) for e in moved["errors"]] == [
        ("NOT_FOUND", ["input", "leadId"])
    ]
    assert codes(updated) == ["NOT_FOUND"]
    assert await read_lead(bank, lead) == lead


async def test_a_lead_id_of_another_type_is_no_lead(bank):
    customer = await bank.register(by="bj.rm")
    caller = await bank.sign_in("bj.rm")

    assert (await caller.data(LEAD, {"id": customer["id"]}))["lead"] is None
    assert codes(await move(bank, customer, "CONTACTED")) == ["NOT_FOUND"]


async def test_a_lead_s_personal_data_is_masked_without_pii_read(bank):
    lead = await new_lead(bank, name="张伟", phone="13900001111", email="zhangwei@example.com")
    company = await new_lead(bank, name="北京某某科技有限公司", kind="CORPORATE", phone=None)

    masked = await read_lead(bank, lead, "marketing")
    plain = await read_lead(bank, lead, "bj.rm")

    assert masked is not None
    assert plain is not None
    assert (masked["name"], masked["phone"], masked["email"]) == (
        "张*",
        "139****1111",
        "z***@example.com",
    )
    assert (plain["name"], plain["phone"], plain["email"]) == (
        "张伟",
        "13900001111",
        "zhangwei@example.com",
    )
    assert (await read_lead(bank, company, "marketing"))["name"] == "北京某某科技有限公司"  # type: ignore[index]


@pytest.mark.parametrize("user", ["bj.teller", "bj.agent"])
async def test_staff_without_lead_read_cannot_list_leads(bank, user):
    caller = await bank.sign_in(user)

    body = await caller.execute(LEADS)

    assert error_codes(body) == ["FORBIDDEN"]


@pytest.mark.parametrize("user", ["marketing", "auditor", "bj.teller"])
async def test_only_staff_who_work_leads_record_them(bank, user):
    caller = await bank.sign_in(user)

    body = await caller.execute(
        'mutation { createLead(input: {name: "张伟", source: WALK_IN}) { errors { code } } }'
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Lead) == 0


# ------------------------------------------------------------------ the list


async def test_leads_are_listed_newest_first_and_filtered(bank):
    first = await new_lead(bank, "bj.rm", name="甲")
    await new_lead(bank, "bj.manager", name="乙", source="PARTNER", partner="某某会计师事务所")
    await move(bank, first, "CONTACTED")
    caller = await bank.sign_in("bj.manager")

    def listed(body: dict[str, Any]) -> list[str]:
        return [edge["node"]["name"] for edge in body["leads"]["edges"]]

    everyone = await caller.data(LEADS)
    contacted = await caller.data(LEADS, {"filter": {"stage": ["CONTACTED"]}})
    partners = await caller.data(LEADS, {"filter": {"source": ["PARTNER"]}})
    mine = await caller.data(LEADS, {"filter": {"ownerId": bank.user("bj.rm")}})
    nobody = await caller.data(LEADS, {"filter": {"ownerId": global_id("Customer", 1)}})

    assert listed(everyone) == ["乙", "甲"]
    assert listed(contacted) == ["甲"]
    assert listed(partners) == ["乙"]
    assert listed(mine) == ["甲"]
    assert listed(nobody) == []


async def test_the_list_pages_by_cursor(bank):
    for name in ("甲", "乙", "丙"):
        await new_lead(bank, name=name)
    caller = await bank.sign_in("bj.rm")

    page = (await caller.data(LEADS, {"first": 2}))["leads"]
    rest = (await caller.data(LEADS, {"first": 2, "after": page["pageInfo"]["endCursor"]}))["leads"]

    assert [e["node"]["name"] for e in page["edges"]] == ["丙", "乙"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["甲"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert page["totalCount"] == 3


LIST_EVERYTHING = """
query($first: Int) {
  leads(first: $first) {
    edges { node {
      name phone owner { username } branch { code } referredBy { customerNo }
      product { code } campaign { name } event { name } customer { customerNo }
      stageHistory { toStage changedBy { username } }
    } }
  }
}
"""


async def test_a_page_of_leads_costs_the_same_for_3_as_for_30(bank, sql):
    referrer = await bank.register(by="bj.rm")
    sources = [
        {"source": "CAMPAIGN", "campaignId": await campaign(bank, None)},
        {"source": "REFERRAL", "referredByCustomerId": referrer["id"]},
        {"source": "EVENT", "eventId": await event(bank, BJ)},
    ]
    for number in range(30):
        lead = await new_lead(
            bank,
            "bj.rm" if number % 2 else "bj.manager",
            name=f"客户{number}",
            productCode="WM-R2-STEADY",
            **sources[number % 3],
        )
        await move(bank, lead, "CONTACTED", by="bj.manager")

    few, few_rows = await bank.page_cost(sql, LIST_EVERYTHING, 3, of="leads")
    many, many_rows = await bank.page_cost(sql, LIST_EVERYTHING, 30, of="leads")

    assert (len(few_rows), len(many_rows)) == (3, 30)
    assert few == many, sql.statements
    # the signed-in user and their roles, the page (no count: not asked for), then
    # one each for owners (and who moved them), branches, referring customers,
    # products, campaigns, events and stage changes; and the audit of the names and
    # phones shown
    assert many == 9 + personal_data_audit(bank.runtime), sql.statements


# ------------------------------------------------------------------ the pipeline in figures

PIPELINE = """
query($filter: LeadFilter) {
  leadPipeline(filter: $filter) {
    stage count expectedAmount { amount } weightedAmount { amount }
  }
}
"""


async def test_the_pipeline_sums_each_stage_exactly_and_weighs_it_by_probability(bank):
    await new_lead(bank, expectedAmount="100000.01", probability=33)
    await new_lead(bank, expectedAmount="0.05", probability=50)
    await new_lead(bank)  # neither amount nor probability: counted, adds nothing
    proposal = await new_lead(bank, expectedAmount="200000", probability=80)
    await move(bank, proposal, "PROPOSAL")
    await new_lead(bank, "sh.rm", expectedAmount="999999", probability=99)  # another branch
    caller = await bank.sign_in("bj.manager")

    figures = (await caller.data(PIPELINE))["leadPipeline"]

    by_stage = {
        f["stage"]: (f["count"], f["expectedAmount"]["amount"], f["weightedAmount"]["amount"])
        for f in figures
    }
    assert [f["stage"] for f in figures] == list(STAGES)
    # 100000.01 × 33 % + 0.05 × 50 % = 33000.0033 + 0.025 = 33000.0283 → 33000.03
    assert by_stage["NEW"] == (3, "100000.06", "33000.03")
    assert by_stage["PROPOSAL"] == (1, "200000.00", "160000.00")
    assert by_stage["WON"] == (0, "0.00", "0.00")


async def test_the_pipeline_of_one_owner(bank):
    await new_lead(bank, "bj.rm", expectedAmount="100", probability=50)
    await new_lead(bank, "bj.manager", expectedAmount="300", probability=50)
    caller = await bank.sign_in("bj.manager")

    figures = (await caller.data(PIPELINE, {"filter": {"ownerId": bank.user("bj.rm")}}))[
        "leadPipeline"
    ]

    assert figures[0] == {
        "stage": "NEW",
        "count": 1,
        "expectedAmount": {"amount": "100.00"},
        "weightedAmount": {"amount": "50.00"},
    }
