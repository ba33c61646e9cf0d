"""Campaign reports: each campaign's funnel (targeted, contacted, responded,
converted, declined), its rates, the amount converted and the cost per
conversion, in total and by branch and by relationship manager.

Every figure comes from one GROUP BY over the memberships (by campaign, the
customer's branch and the customer's relationship manager now); totals and
the two breakdowns are sums of its rows. Memberships only move forward, so a
member counts at every stage up to where they came (``STAGE``): a conversion
was contacted and responded too, and so was a refusal (DECLINED is a
response). The caller says which customers count (``visible``): the API
passes the viewer's data scope, so a branch manager's figures are their
branch's members only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, ColumnElement, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import from_minor_units
from plugins.customer.models import Customer
from plugins.marketing.campaigns import STAGE
from plugins.marketing.models import Campaign, Membership, MembershipStatus

M = MembershipStatus
RATE = Decimal("0.0001")
CENT = Decimal("0.01")


def _reached(status: MembershipStatus) -> list[MembershipStatus]:
    return [other for other, stage in STAGE.items() if stage >= STAGE[status]]


def ratio(part: int, whole: int) -> Decimal | None:
    """``part / whole`` to 4 places, half up; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Funnel:
    """How far a group of members came, and what they bought (CNY)."""

    targeted: int = 0
    contacted: int = 0
    responded: int = 0
    converted: int = 0
    declined: int = 0
    converted_amount: Decimal = Decimal("0.00")

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(
            self.targeted + other.targeted,
            self.contacted + other.contacted,
            self.responded + other.responded,
            self.converted + other.converted,
            self.declined + other.declined,
            self.converted_amount + other.converted_amount,
        )

    @property
    def contact_rate(self) -> Decimal | None:
        return ratio(self.contacted, self.targeted)

    @property
    def response_rate(self) -> Decimal | None:
        return ratio(self.responded, self.contacted)

    @property
    def conversion_rate(self) -> Decimal | None:
        return ratio(self.converted, self.targeted)


@dataclass(frozen=True)
class Group:
    """The members of one campaign of one branch with one manager (None: none)."""

    branch_id: int
    manager_id: int | None
    funnel: Funnel


@dataclass(frozen=True)
class CampaignReport:
    """A campaign's figures over ``groups``; ``member_count`` is how many
    members it has in all, in scope or not (None: the groups are all of them)."""

    campaign: Campaign
    groups: Sequence[Group] = ()
    member_count: int | None = None

    @property
    def total(self) -> Funnel:
        return sum((group.funnel for group in self.groups), Funnel())

    @property
    def complete(self) -> bool:
        """Whether the report covers every member of the campaign."""
        return self.member_count is None or self.total.targeted == self.member_count

    @property
    def cost_per_conversion(self) -> Decimal | None:
        """The budget over the conversions, to the fen, half up; None without
        a budget, without a conversion, or for a report of only some members
        (the budget is the whole campaign's)."""
        converted = self.total.converted
        if not self.campaign.budget or not converted or not self.complete:
            return None
        return (self.campaign.budget / converted).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def by_branch(self) -> list[tuple[int, Funnel]]:
        """By the customers' branch, in branch id order."""
        return _grouped(self.groups, lambda group: group.branch_id)  # type: ignore[return-value]

    @property
    def by_manager(self) -> list[tuple[int | None, Funnel]]:
        """By the customers' relationship manager now, in user id order, those
        without one last."""
        return _grouped(self.groups, lambda group: group.manager_id)


def _grouped(
    groups: Iterable[Group], key: Callable[[Group], int | None]
) -> list[tuple[int | None, Funnel]]:
    sums: dict[int | None, Funnel] = defaultdict(Funnel)
    for group in groups:
        sums[key(group)] += group.funnel
    return sorted(sums.items(), key=lambda item: (item[0] is None, item[0] or 0))


async def campaign_groups(
    session: AsyncSession, campaign_ids: Sequence[int], visible: ColumnElement[bool]
) -> dict[int, list[Group]]:
    """The funnel of each campaign's members by branch and manager, for the
    customers ``visible`` selects: one statement for every campaign."""
    status = Membership.status

    def at_least(stage: MembershipStatus) -> ColumnElement[int]:
        return func.sum(case((status.in_(_reached(stage)), 1), else_=0))  # type: ignore[attr-defined]

    def exactly(stage: MembershipStatus) -> ColumnElement[int]:
        return func.sum(case((status == stage, 1), else_=0))

    fen = type_coerce(Membership.converted_amount, BigInteger)
    rows = await session.execute(
        select(
            Membership.campaign_id,
            Customer.branch_id,
            Customer.relationship_manager_id,
            func.count().label("targeted"),
            at_least(M.CONTACTED).label("contacted"),
            at_least(M.RESPONDED).label("responded"),
            exactly(M.CONVERTED).label("converted"),
            exactly(M.DECLINED).label("declined"),
            type_coerce(
                func.sum(case((status == M.CONVERTED, func.coalesce(fen, 0)), else_=0)),
                BigInteger,
            ).label("amount"),
        )
        .join(Customer, Customer.id == Membership.customer_id)  # type: ignore[arg-type]
        .where(Membership.campaign_id.in_(campaign_ids), visible)  # type: ignore[attr-defined]
        .group_by(Membership.campaign_id, Customer.branch_id, Customer.relationship_manager_id)
    )
    found: dict[int, list[Group]] = {campaign_id: [] for campaign_id in campaign_ids}
    for row in rows:
        found[row.campaign_id].append(
            Group(
                branch_id=row.branch_id,
                manager_id=row.relationship_manager_id,
                funnel=Funnel(
                    targeted=int(row.targeted),
                    contacted=int(row.contacted),
                    responded=int(row.responded),
                    converted=int(row.converted),
                    declined=int(row.declined),
                    converted_amount=from_minor_units(int(row.amount)),
                ),
            )
        )
    return found
