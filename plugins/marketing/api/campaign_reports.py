"""Campaign reports in GraphQL: ``Campaign.report``.

A field of the campaign rather than a ``campaignReport(campaignId)`` query:
whoever reaches a campaign (``campaign``, ``campaigns``, a customer's
``campaigns``) has already passed its permission and branch checks, so there
is no second not-found path to keep alike; and a page of campaigns with their
reports is one batched statement, not one per campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.context import Context
from core.errors import Forbidden
from core.graphql import extends
from core.money import Money
from plugins.customer.scope import in_scope
from plugins.marketing import loaders as campaign_loaders
from plugins.marketing import models
from plugins.marketing.permissions import MARKETING_READ
from plugins.marketing.reports import CampaignReport, Funnel, Group, campaign_groups
from plugins.security import loaders as staff
from plugins.security.types import Branch, User


def _cny(amount: Decimal | None) -> Money | None:
    return None if amount is None else Money(amount=amount, currency="CNY")


@strawberry.interface(description="How far a group of a campaign's members came.")
class CampaignFunnel:
    targeted: int
    contacted: int = strawberry.field(
        description="Reached at least CONTACTED: responded, converted and declined members too."
    )
    responded: int = strawberry.field(
        description="Reached at least RESPONDED: converted and declined members too."
    )
    converted: int
    declined: int
    contact_rate: Decimal | None = strawberry.field(
        description="contacted / targeted, to 4 places half up; null when nobody was targeted."
    )
    response_rate: Decimal | None = strawberry.field(
        description="responded / contacted, to 4 places half up; null when nobody was contacted."
    )
    conversion_rate: Decimal | None = strawberry.field(
        description="converted / targeted, to 4 places half up; null when nobody was targeted."
    )
    converted_amount: Money = strawberry.field(description="What the conversions sold.")


def _figures(funnel: Funnel) -> dict[str, object]:
    return {
        "targeted": funnel.targeted,
        "contacted": funnel.contacted,
        "responded": funnel.responded,
        "converted": funnel.converted,
        "declined": funnel.declined,
        "contact_rate": funnel.contact_rate,
        "response_rate": funnel.response_rate,
        "conversion_rate": funnel.conversion_rate,
        "converted_amount": _cny(funnel.converted_amount),
    }


@strawberry.type(description="A campaign's members of one branch.")
class CampaignBranchFunnel(CampaignFunnel):
    branch_id: strawberry.Private[int]

    @strawberry.field(description="The customers' branch.")
    async def branch(self, info: Info) -> Branch:
        return await info.context.loader(staff.branches_by_id).load(self.branch_id)


@strawberry.type(description="A campaign's members with one relationship manager.")
class CampaignManagerFunnel(CampaignFunnel):
    manager_id: strawberry.Private[int | None]

    @strawberry.field(description="The customers' relationship manager now; null: none.")
    async def manager(self, info: Info) -> User | None:
        if self.manager_id is None:
            return None
        return await info.context.loader(staff.users_by_id).load(self.manager_id)


@strawberry.type(
    name="CampaignReport",
    description="A campaign's funnel, in total and by branch and relationship manager, over "
    "the members in your data scope (a branch's staff: their branch's members only).",
)
class CampaignReportFigures(CampaignFunnel):
    budget: Money | None
    cost_per_conversion: Money | None = strawberry.field(
        description="budget / converted, to the fen half up; null without a budget, without a "
        "conversion, or when you see only some of the campaign's members."
    )
    by_branch: list[CampaignBranchFunnel]
    by_manager: list[CampaignManagerFunnel]


def _report_type(report: CampaignReport) -> CampaignReportFigures:
    return CampaignReportFigures(
        **_figures(report.total),  # type: ignore[arg-type]
        budget=_cny(report.campaign.budget),
        cost_per_conversion=_cny(report.cost_per_conversion),
        by_branch=[
            CampaignBranchFunnel(branch_id=branch_id, **_figures(funnel))  # type: ignore[arg-type]
            for branch_id, funnel in report.by_branch
        ],
        by_manager=[
            CampaignManagerFunnel(manager_id=manager_id, **_figures(funnel))  # type: ignore[arg-type]
            for manager_id, funnel in report.by_manager
        ],
    )


async def groups_by_campaign(context: Context, ids: Sequence[int]) -> list[list[Group]]:
    """The campaigns' funnels over the customers in the viewer's scope."""
    found = await campaign_groups(context.session, ids, in_scope(context.user))
    return [found[campaign_id] for campaign_id in ids]


@extends("Campaign")
@strawberry.type
class CampaignReporting:
    @strawberry.field(description="From the marketing plugin: the campaign's funnel and costs.")
    async def report(
        self, root: strawberry.Parent[models.Campaign], info: Info
    ) -> CampaignReportFigures:
        context: Context = info.context
        if not context.user.can(MARKETING_READ):
            raise Forbidden()
        campaign_id: int = root.id  # type: ignore[assignment]
        groups = await context.loader(groups_by_campaign).load(campaign_id)
        member_count = await context.loader(campaign_loaders.member_counts).load(campaign_id)
        return _report_type(CampaignReport(root, groups, member_count))
