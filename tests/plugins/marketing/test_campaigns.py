"""Campaigns: the state machine through the mutations, and the audience a
launch snapshots (the hand-picked customers, less the opted-out, the recently
targeted, the closed and those the product does not suit, within the
launcher's scope)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from strawberry import relay

from core.authorization import Principal, Role
from core.columns import utcnow
from core.db import Mode
from core.errors import BusinessError
from plugins.customer.models import Customer
from plugins.marketing.campaigns import move_campaign
from plugins.marketing.models import Campaign, CampaignStatus, Membership
from tests.plugins.customer.conftest import Bank, credit_code, error_codes
from tests.plugins.marketing.conftest import assessed, codes

CAMPAIGN_FIELDS = "id name status channel startsOn endsOn launchedAt memberCount"
CREATE = f"""
mutation($input: CreateCampaignInput!) {{
  createCampaign(input: $input) {{ campaign {{ {CAMPAIGN_FIELDS} }} errors {{ code field }} }}
}}
"""
ACTIONS = ("schedule", "launch", "complete", "cancel")
MOVE = {
    action: f"""
mutation($input: LaunchCampaignInput!) {{
  {action}Campaign(input: $input) {{ campaign {{ {CAMPAIGN_FIELDS} }} errors {{ code field }} }}
}}
"""
    for action in ACTIONS
}
CAMPAIGN = f"query($id: ID!) {{ campaign(id: $id) {{ {CAMPAIGN_FIELDS} }} }}"
CAMPAIGNS = """
query($status: [CampaignStatus!]) {
  campaigns(status: $status) { totalCount edges { node { name status } } }
}
"""
SAVE_SEGMENT = """
mutation($input: SaveSegmentInput!) {
  saveSegment(input: $input) { segment { id } errors { code } }
}
"""
SAVE_PRODUCT = """
mutation($input: SaveProductInput!) {
  saveMarketingProduct(input: $input) { product { code } errors { code } }
}
"""
WITHDRAW = """
mutation($input: MarketingConsentInput!) {
  withdrawMarketingConsent(input: $input) { customer { id } errors { code } }
}
"""

_tags = itertools.count(1)


def today(bank: Bank) -> date:
    return bank.runtime.settings.today()


def day(bank: Bank, offset: int) -> str:
    """Today plus ``offset`` days, as GraphQL takes a date."""
    return (today(bank) + timedelta(days=offset)).isoformat()


def db_id(node: dict[str, Any]) -> int:
    return int(relay.GlobalID.from_id(node["id"]).node_id)


def numbers(*customers: dict[str, Any]) -> set[str]:
    return {customer["customerNo"] for customer in customers}


async def picked(bank: Bank, *customers: dict[str, Any]) -> dict[str, Any]:
    """An audience (a CustomerFilter) of exactly ``customers``: they get a tag of their own."""
    tag = f"pick-{next(_tags)}"
    for customer in customers:
        await bank.tag(customer, tag)
    return {"tags": [tag]}


async def create(bank: Bank, by: str = "marketing", **input: Any) -> dict[str, Any]:
    """A draft SMS campaign running from today for 30 days, with ``input`` applied."""
    plan = {
        "name": "春季理财推广",
        "channel": "SMS",
        "startsOn": day(bank, 0),
        "endsOn": day(bank, 30),
    }
    caller = await bank.sign_in(by)
    payload = (await caller.data(CREATE, {"input": plan | input}))["createCampaign"]
    assert payload["errors"] == [], payload["errors"]
    return payload["campaign"]


async def act(bank: Bank, action: str, campaign: dict[str, Any], by: str = "marketing"):
    """Schedule, launch, complete or cancel ``campaign``; the payload."""
    caller = await bank.sign_in(by)
    body = await caller.data(MOVE[action], {"input": {"campaignId": campaign["id"]}})
    return body[f"{action}Campaign"]


async def launched(bank: Bank, *customers: dict[str, Any], by: str = "marketing", **input: Any):
    """A running campaign whose audience is ``customers``."""
    campaign = await create(bank, by=by, audience=await picked(bank, *customers), **input)
    payload = await act(bank, "launch", campaign, by=by)
    assert payload["errors"] == [], payload["errors"]
    return payload["campaign"]


async def members(bank: Bank, campaign: dict[str, Any]) -> set[str]:
    """The customer numbers of the campaign's members."""
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(
            select(Customer.customer_no)
            .join(Membership, Membership.customer_id == Customer.id)
            .where(Membership.campaign_id == db_id(campaign))
        )
        return set(rows)


async def stored(bank: Bank, campaign: dict[str, Any]) -> dict[str, Any]:
    async with bank.runtime.database.transaction(Mode.READ) as session:
        return (await session.get_one(Campaign, db_id(campaign))).model_dump()


async def read(bank: Bank, campaign: dict[str, Any]) -> dict[str, Any]:
    caller = await bank.sign_in("marketing")
    return (await caller.data(CAMPAIGN, {"id": campaign["id"]}))["campaign"]


async def withdraw(bank: Bank, customer: dict[str, Any], *channels: str) -> None:
    caller = await bank.sign_in("admin")
    body = await caller.data(
        WITHDRAW, {"input": {"customerId": customer["id"], "channels": list(channels)}}
    )
    assert body["withdrawMarketingConsent"]["errors"] == []


async def product(bank: Bank, code: str, **terms: Any) -> str:
    """Add product ``code`` (a wealth product with no limits but ``terms``) to the catalogue."""
    caller = await bank.sign_in("admin")
    given = {"code": code, "name": f"测试产品 {code}", "category": "WEALTH", "riskLevel": "R1"}
    body = await caller.data(SAVE_PRODUCT, {"input": given | terms})
    assert body["saveMarketingProduct"]["errors"] == []
    return code


async def targeted_days_ago(
    bank: Bank, campaign: dict[str, Any], customer: dict[str, Any], days: int
) -> None:
    """Move the customer's targeting by ``campaign`` back ``days`` days."""
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(Membership)
            .where(Membership.campaign_id == db_id(campaign), Membership.customer_id == customer_id)
            .values(targeted_at=utcnow() - timedelta(days=days))
        )


# ------------------------------------------------------------------ the state machine

STARTED_BY = {
    "DRAFT": [],
    "SCHEDULED": ["schedule"],
    "RUNNING": ["launch"],
    "COMPLETED": ["launch", "complete"],
    "CANCELLED": ["cancel"],
}
ALLOWED = {
    ("DRAFT", "schedule"): "SCHEDULED",
    ("DRAFT", "launch"): "RUNNING",
    ("DRAFT", "cancel"): "CANCELLED",
    ("SCHEDULED", "launch"): "RUNNING",
    ("SCHEDULED", "cancel"): "CANCELLED",
    ("RUNNING", "complete"): "COMPLETED",
    ("RUNNING", "cancel"): "CANCELLED",
}
ILLEGAL = [(s, a) for s in STARTED_BY for a in ACTIONS if (s, a) not in ALLOWED]
"""Every other (status, action): 13 moves, each refused."""


async def campaign_in(bank: Bank, status: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A campaign of one customer brought to ``status`` through the mutations; the
    customer, and the tag that picks its audience."""
    customer = await bank.register()
    audience = await picked(bank, customer)
    campaign = await create(bank, audience=audience)
    for action in STARTED_BY[status]:
        payload = await act(bank, action, campaign)
        assert payload["errors"] == [], payload["errors"]
        campaign = payload["campaign"]
    assert campaign["status"] == status
    return campaign, customer, audience["tags"][0]


async def test_a_new_campaign_is_a_draft_with_no_members(bank):
    campaign = await create(bank, name="  存款节  ", channel="EMAIL", startsOn=day(bank, 3))

    assert campaign | {"id": None} == {
        "id": None,
        "name": "存款节",
        "status": "DRAFT",
        "channel": "EMAIL",
        "startsOn": day(bank, 3),
        "endsOn": day(bank, 30),
        "launchedAt": None,
        "memberCount": 0,
    }
    assert (await stored(bank, campaign))["created_by"] == bank.user_ids["marketing"]


@pytest.mark.parametrize(("start", "action"), list(ALLOWED))
async def test_every_allowed_move_through_the_mutations(bank, start, action):
    campaign, _, _ = await campaign_in(bank, start)

    payload = await act(bank, action, campaign)

    assert payload["errors"] == []
    assert payload["campaign"]["status"] == ALLOWED[start, action]
    row = await stored(bank, campaign)
    assert row["status"] == ALLOWED[start, action]
    assert (row["launched_at"] is not None) == (start == "RUNNING" or action == "launch")
    assert (row["ended_at"] is not None) == (action in ("complete", "cancel"))
    assert payload["campaign"]["memberCount"] == (0 if row["launched_at"] is None else 1)


async def test_a_scheduled_campaign_does_not_go_back_to_draft(bank):
    """Once scheduled, a campaign is launched or cancelled; it is not edited back."""
    campaign, _, _ = await campaign_in(bank, "SCHEDULED")
    marketing = Principal(
        user_id=bank.user_ids["marketing"],
        username="marketing",
        roles=frozenset({Role.MARKETING}),
        branch_id=None,
        permissions=frozenset(),
    )

    with pytest.raises(BusinessError) as refused:
        async with bank.runtime.database.transaction(Mode.WRITE) as session:
            await move_campaign(session, marketing, db_id(campaign), CampaignStatus.DRAFT)

    assert refused.value.code == "ILLEGAL_TRANSITION"
    assert (await read(bank, campaign))["status"] == "SCHEDULED"


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
async def test_an_illegal_move_is_refused_and_changes_nothing(bank, start, action):
    campaign, _, tag = await campaign_in(bank, start)
    await bank.tag(await bank.register(), tag)  # one more who could be targeted
    before = await stored(bank, campaign)
    targeted = await members(bank, campaign)

    payload = await act(bank, action, campaign)

    assert codes(payload) == ["ILLEGAL_TRANSITION"]
    assert payload["campaign"] is None
    assert await stored(bank, campaign) == before
    assert await members(bank, campaign) == targeted


async def test_scheduling_a_running_campaign_is_an_illegal_move_even_without_a_start_date(bank):
    campaign = await launched(bank, await bank.register(), startsOn=None, endsOn=None)

    payload = await act(bank, "schedule", campaign)

    assert codes(payload) == ["ILLEGAL_TRANSITION"]
    assert (await read(bank, campaign))["status"] == "RUNNING"


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param({}, id="no audience"),
        pytest.param({"audience": {"tags": ["x"]}, "startsOn": None}, id="no start date"),
    ],
)
async def test_scheduling_needs_an_audience_and_a_start_date(bank, plan):
    campaign = await create(bank, **plan)

    payload = await act(bank, "schedule", campaign)

    assert codes(payload) == ["AUDIENCE_REQUIRED"]
    assert (await read(bank, campaign))["status"] == "DRAFT"


async def test_a_campaign_with_a_saved_segment_and_a_start_date_is_scheduled(bank):
    caller = await bank.sign_in("marketing")
    body = await caller.data(SAVE_SEGMENT, {"input": {"name": "北京客户", "rules": {}}})

    campaign = await create(bank, segmentId=body["saveSegment"]["segment"]["id"])
    payload = await act(bank, "schedule", campaign)

    assert payload["errors"] == []
    assert payload["campaign"]["status"] == "SCHEDULED"


# ------------------------------------------------------------------ launching


async def test_launching_without_an_audience_is_refused(bank):
    await bank.register()
    campaign = await create(bank)

    payload = await act(bank, "launch", campaign)

    assert codes(payload) == ["AUDIENCE_REQUIRED"]
    assert (await read(bank, campaign))["status"] == "DRAFT"
    assert await bank.count(Membership) == 0


@pytest.mark.parametrize(
    ("starts", "ends", "refused"),
    [
        pytest.param(1, 30, True, id="starts tomorrow"),
        pytest.param(-30, -1, True, id="ended yesterday"),
        pytest.param(0, 0, False, id="starts and ends today"),
        pytest.param(None, None, False, id="no dates"),
    ],
)
async def test_a_campaign_is_launched_between_its_start_and_end_dates(bank, starts, ends, refused):
    customer = await bank.register()
    campaign = await create(
        bank,
        audience=await picked(bank, customer),
        startsOn=None if starts is None else day(bank, starts),
        endsOn=None if ends is None else day(bank, ends),
    )

    payload = await act(bank, "launch", campaign)

    if refused:
        assert codes(payload) == ["OUTSIDE_CAMPAIGN_DATES"]
        assert (await read(bank, campaign))["status"] == "DRAFT"
        assert await members(bank, campaign) == set()
    else:
        assert payload["errors"] == []
        assert await members(bank, campaign) == numbers(customer)


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param({"active": False}, id="withdrawn"),
        pytest.param({"salesTo": "2000-01-31"}, id="sales ended"),
        pytest.param({"salesFrom": "2999-01-01"}, id="sales not begun"),
    ],
)
async def test_a_campaign_for_a_product_off_sale_is_not_launched(bank, terms):
    customer = await bank.register()
    code = await product(bank, "TEST-OFF", **terms)
    campaign = await create(bank, audience=await picked(bank, customer), productCode=code)

    payload = await act(bank, "launch", campaign)

    assert codes(payload) == ["PRODUCT_NOT_ON_SALE"]
    assert (await read(bank, campaign))["status"] == "DRAFT"
    assert await bank.count(Membership) == 0


async def test_a_launch_snapshots_exactly_the_customers_the_audience_picks(bank):
    beijing = await bank.register()
    shanghai = await bank.register(branchCode="SH-001")
    await bank.register()  # not picked
    audience = await picked(bank, beijing, shanghai)
    campaign = await create(bank, audience=audience)

    payload = await act(bank, "launch", campaign)

    assert payload["errors"] == []
    assert payload["campaign"]["status"] == "RUNNING"
    assert payload["campaign"]["launchedAt"] is not None
    assert payload["campaign"]["memberCount"] == 2
    assert await members(bank, campaign) == numbers(beijing, shanghai)

    await bank.tag(await bank.register(), *audience["tags"])  # picked after the launch
    assert await members(bank, campaign) == numbers(beijing, shanghai)
    assert (await read(bank, campaign))["memberCount"] == 2


async def test_a_launch_snapshots_a_saved_segment(bank):
    beijing = await bank.register()
    shanghai = await bank.register(branchCode="SH-001")
    await bank.register(branchCode="SH-001")  # in Shanghai, not picked
    rules = await picked(bank, beijing, shanghai) | {"branchCode": "SH-001"}
    caller = await bank.sign_in("marketing")
    body = await caller.data(SAVE_SEGMENT, {"input": {"name": "上海精选", "rules": rules}})
    campaign = await create(bank, segmentId=body["saveSegment"]["segment"]["id"])

    payload = await act(bank, "launch", campaign)

    assert payload["errors"] == []
    assert await members(bank, campaign) == numbers(shanghai)
    assert payload["campaign"]["memberCount"] == 1


async def test_customers_who_withdrew_consent_for_the_channel_are_left_out(bank):
    no_sms, no_email, willing = [await bank.register() for _ in range(3)]
    await withdraw(bank, no_sms, "SMS", "PHONE")
    await withdraw(bank, no_email, "EMAIL")

    by_sms = await launched(bank, no_sms, no_email, willing, channel="SMS")
    by_email = await launched(bank, no_sms, channel="EMAIL")

    assert await members(bank, by_sms) == numbers(no_email, willing)
    assert await members(bank, by_email) == numbers(no_sms)


async def test_customers_another_campaign_targeted_within_seven_days_are_left_out(bank):
    three_days, eight_days, just_now, fresh = [await bank.register() for _ in range(4)]
    earlier = await launched(bank, three_days, eight_days, just_now)
    await targeted_days_ago(bank, earlier, three_days, 3)
    await targeted_days_ago(bank, earlier, eight_days, 8)

    later = await launched(bank, three_days, eight_days, just_now, fresh)

    assert await members(bank, later) == numbers(eight_days, fresh)
    assert await members(bank, earlier) == numbers(three_days, eight_days, just_now)


async def test_closed_customers_are_left_out(bank):
    active, closed = await bank.register(), await bank.register()
    await bank.change(closed, status="CLOSED")

    campaign = await launched(bank, active, closed)

    assert await members(bank, campaign) == numbers(active)


async def test_closed_customers_are_left_out_even_when_the_audience_asks_for_them(bank):
    active, closed = await bank.register(), await bank.register()
    await bank.change(closed, status="CLOSED")
    audience = await picked(bank, active, closed) | {"status": ["ACTIVE", "CLOSED"]}
    campaign = await create(bank, audience=audience)

    payload = await act(bank, "launch", campaign)

    assert payload["errors"] == []
    assert await members(bank, campaign) == numbers(active)


async def test_a_risky_product_targets_only_customers_assessed_for_it_within_a_year(bank):
    a_year = today(bank) - timedelta(days=365)
    c3, c5, c4_a_year_ago, c4_too_long_ago, c2, unassessed = [
        await bank.register() for _ in range(6)
    ]
    await assessed(bank, c3, "C3", on=today(bank))
    await assessed(bank, c5, "C5", on=today(bank) - timedelta(days=100))
    await assessed(bank, c4_a_year_ago, "C4", on=a_year)
    await assessed(bank, c4_too_long_ago, "C4", on=a_year - timedelta(days=1))
    await assessed(bank, c2, "C2", on=today(bank))
    code = await product(bank, "TEST-R3", riskLevel="R3", minimumAmount="10000")

    campaign = await launched(
        bank, c3, c5, c4_a_year_ago, c4_too_long_ago, c2, unassessed, productCode=code
    )

    assert await members(bank, campaign) == numbers(c3, c5, c4_a_year_ago)


async def test_a_product_for_some_tiers_and_kinds_targets_only_those(bank):
    mass, affluent, private = [await bank.register() for _ in range(3)]
    company = await bank.register(
        kind="CORPORATE", name="北京某科技有限公司", idNumber=credit_code(7)
    )
    await bank.change(affluent, tier="AFFLUENT")
    await bank.change(private, tier="PRIVATE")
    await bank.change(company, tier="PRIVATE")

    campaign = await launched(bank, mass, affluent, private, company, productCode="CARD-PLATINUM")

    assert await members(bank, campaign) == numbers(affluent, private)


async def test_a_branch_manager_s_launch_takes_only_their_branch_s_customers(bank):
    beijing = await bank.register()
    shanghai = await bank.register(branchCode="SH-001")
    campaign = await create(bank, by="bj.manager", audience=await picked(bank, beijing, shanghai))

    refused = await act(bank, "launch", campaign, by="sh.manager")
    payload = await act(bank, "launch", campaign, by="bj.manager")

    assert codes(refused) == ["CAMPAIGN_NOT_FOUND"]
    assert payload["errors"] == []
    assert await members(bank, campaign) == numbers(beijing)
    assert (await stored(bank, campaign))["branch_id"] == bank.branch_ids["BJ-001"]


@pytest.mark.parametrize("action", ["schedule", "launch", "cancel"])
async def test_a_branch_manager_cannot_run_a_head_office_campaign(bank, action):
    campaign = await create(bank, audience=await picked(bank, await bank.register()))

    payload = await act(bank, action, campaign, by="bj.manager")

    assert codes(payload) == ["CAMPAIGN_NOT_FOUND"]
    assert (await read(bank, campaign))["status"] == "DRAFT"
    assert await bank.count(Membership) == 0


async def test_head_office_runs_a_branch_s_campaign(bank):
    campaign = await create(bank, by="bj.manager", audience={"tags": ["x"]})

    payload = await act(bank, "cancel", campaign, by="marketing")

    assert payload["errors"] == []
    assert payload["campaign"]["status"] == "CANCELLED"


@pytest.mark.parametrize("start", ["DRAFT", "SCHEDULED"])
async def test_a_launch_that_leaves_nobody_is_refused_and_changes_nothing(bank, start):
    campaign, customer, _ = await campaign_in(bank, start)
    await withdraw(bank, customer, "SMS")
    before = await stored(bank, campaign)

    payload = await act(bank, "launch", campaign)

    assert codes(payload) == ["EMPTY_AUDIENCE"]
    assert await stored(bank, campaign) == before
    assert (await read(bank, campaign))["memberCount"] == 0
    assert await bank.count(Membership) == 0


async def test_a_launch_whose_audience_picks_nobody_is_refused(bank):
    await bank.register()
    campaign = await create(bank, audience={"tags": ["无人"]})

    payload = await act(bank, "launch", campaign)

    assert codes(payload) == ["EMPTY_AUDIENCE"]
    assert (await read(bank, campaign))["status"] == "DRAFT"


async def test_member_count_counts_each_campaign_s_own_members(bank):
    a, b, c = [await bank.register() for _ in range(3)]
    two = await launched(bank, a, b)
    one = await launched(bank, c, channel="EMAIL")
    draft = await create(bank)

    assert [(await read(bank, campaign))["memberCount"] for campaign in (two, one, draft)] == [
        2,
        1,
        0,
    ]


async def test_campaigns_are_listed_newest_first_by_status(bank):
    for status in ("DRAFT", "SCHEDULED", "RUNNING", "CANCELLED"):
        campaign, _, _ = await campaign_in(bank, status)
        async with bank.runtime.database.transaction(Mode.WRITE) as session:
            await session.execute(
                update(Campaign).where(Campaign.id == db_id(campaign)).values(name=status.lower())
            )
    caller = await bank.sign_in("auditor")

    async def listed(status: list[str] | None) -> tuple[int, list[str]]:
        connection = (await caller.data(CAMPAIGNS, {"status": status}))["campaigns"]
        return connection["totalCount"], [edge["node"]["name"] for edge in connection["edges"]]

    assert await listed(["RUNNING"]) == (1, ["running"])
    assert await listed(["DRAFT", "SCHEDULED"]) == (2, ["scheduled", "draft"])
    assert await listed(["COMPLETED"]) == (0, [])
    assert await listed(None) == (4, ["cancelled", "running", "scheduled", "draft"])


@pytest.mark.parametrize("user", ["bj.rm", "bj.teller", "bj.agent", "auditor"])
async def test_only_campaign_managers_may_create_campaigns(bank, user):
    caller = await bank.sign_in(user)

    body = await caller.execute(CREATE, {"input": {"name": "私下推广", "channel": "PHONE"}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Campaign) == 0
