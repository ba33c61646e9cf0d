"""A page of customers with their campaigns costs a fixed number of SQL
statements, whatever the page size: the memberships, their campaigns and the
campaigns' member counts are each loaded for the whole page at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.authorization import Principal, Role
from core.columns import utcnow
from core.db import Mode
from plugins.marketing.campaigns import Plan, create_campaign, launch_campaign
from plugins.marketing.models import CampaignChannel, Membership, MembershipStatus
from tests.plugins.customer.conftest import Bank

PAGE = """
query($first: Int) {
  customers(first: $first) {
    edges { node { name campaigns { status campaign { name memberCount } } } }
  }
}
"""


async def bank_with(bank: Bank, customers: int) -> None:
    """``customers`` customers of BJ-001, each targeted by two campaigns: 一月
    (a month ago, and since contacted) and 二月 (now)."""
    for _ in range(customers):
        await bank.register()
    marketing = Principal(
        user_id=bank.user_ids["marketing"],
        username="marketing",
        roles=frozenset({Role.MARKETING}),
        branch_id=None,
        permissions=frozenset(),
    )
    runtime = bank.runtime
    today = runtime.settings.today()
    async with runtime.database.transaction(Mode.WRITE) as session:
        january, february = [
            await create_campaign(
                session, marketing, Plan(name=name, channel=CampaignChannel.SMS, audience={})
            )
            for name in ("一月", "二月")
        ]
        await launch_campaign(
            session, runtime.plugins, marketing, january.id, today, zone=runtime.settings.zone
        )
        await session.execute(  # a month ago (out of the frequency cap), and contacted since
            update(Membership)
            .where(Membership.campaign_id == january.id)
            .values(targeted_at=utcnow() - timedelta(days=30), status=MembershipStatus.CONTACTED)
        )
        await launch_campaign(
            session, runtime.plugins, marketing, february.id, today, zone=runtime.settings.zone
        )


async def test_a_page_of_customers_with_their_campaigns_costs_the_same_for_3_as_for_100(
    bank: Bank, sql
):
    await bank_with(bank, 100)

    few, few_edges = await bank.page_cost(sql, PAGE, 3)
    many, many_edges = await bank.page_cost(sql, PAGE, 100)

    assert few == many
    # the signed-in user and their roles, the page of customers (no count: not
    # asked for), the page's memberships, their campaigns, the campaigns' member counts
    assert many == 5, sql.statements
    assert len(few_edges) == 3
    assert len(many_edges) == 100
    for edge in many_edges:
        assert edge["node"]["campaigns"] == [
            {"status": "TARGETED", "campaign": {"name": "二月", "memberCount": 100}},
            {"status": "CONTACTED", "campaign": {"name": "一月", "memberCount": 100}},
        ]
