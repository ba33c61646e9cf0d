"""A campaign's report as CSV (``crm marketing report``), over every member:
the command runs as head office."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.csv_text import csv_text
from plugins.marketing.models import Campaign
from plugins.marketing.reports import CampaignReport, Funnel, campaign_groups
from plugins.security.models import Branch, User

HEADER = (
    "group",
    "name",
    "targeted",
    "contacted",
    "responded",
    "converted",
    "declined",
    "contact_rate",
    "response_rate",
    "conversion_rate",
    "converted_amount",
    "budget",
    "cost_per_conversion",
)


def _cells(funnel: Funnel) -> list[Any]:
    rates = (funnel.contact_rate, funnel.response_rate, funnel.conversion_rate)
    return [
        funnel.targeted,
        funnel.contacted,
        funnel.responded,
        funnel.converted,
        funnel.declined,
        *("" if rate is None else rate for rate in rates),
        funnel.converted_amount,
    ]


def report_csv(
    report: CampaignReport, branch_codes: dict[int, str], usernames: dict[int, str]
) -> str:
    """The campaign's row (with budget and cost per conversion), then one row
    per branch and one per relationship manager (an empty name: none)."""
    campaign = report.campaign

    def money(amount: Decimal | None) -> Decimal | str:
        return "" if amount is None else amount

    rows: list[Sequence[Any]] = [HEADER]
    rows.append(
        [
            "campaign",
            campaign.name,
            *_cells(report.total),
            money(campaign.budget),
            money(report.cost_per_conversion),
        ]
    )
    rows += [["branch", branch_codes[i], *_cells(f), "", ""] for i, f in report.by_branch]
    rows += [
        ["manager", usernames[i] if i is not None else "", *_cells(f), "", ""]
        for i, f in report.by_manager
    ]
    return csv_text(rows)


async def campaign_report_csv(session: AsyncSession, campaign_id: int) -> str | None:
    """The report of campaign ``campaign_id``; None if there is no such campaign."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    report = CampaignReport(
        campaign, (await campaign_groups(session, [campaign_id], true()))[campaign_id]
    )
    branch_ids = [branch_id for branch_id, _ in report.by_branch]
    manager_ids = [manager_id for manager_id, _ in report.by_manager if manager_id is not None]
    branches = await session.execute(
        select(Branch.id, Branch.code).where(Branch.id.in_(branch_ids))
    )  # type: ignore[union-attr]
    users = await session.execute(select(User.id, User.username).where(User.id.in_(manager_ids)))  # type: ignore[union-attr]
    return report_csv(report, dict(branches.tuples().all()), dict(users.tuples().all()))
