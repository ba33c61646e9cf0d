"""Where a lead came from, and the reference each source must name.

A referral names the existing customer who referred the prospect (one in the
recorder's scope), an event or a campaign names it (one the recorder may see:
head office's or their own branch's), a partner is named by its name; a
walk-in names nothing. A reference the source does not call for is refused
rather than silently kept, so a lead never claims two origins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.errors import BusinessError
from core.validation import clean_text
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.marketing.events.loaders import events_in_scope
from plugins.marketing.events.models import MarketingEvent
from plugins.marketing.leads.models import LeadSource
from plugins.marketing.loaders import campaigns_in_scope
from plugins.marketing.models import NAME_MAX, Campaign

FIELDS = {
    LeadSource.REFERRAL: "referredByCustomerId",
    LeadSource.EVENT: "eventId",
    LeadSource.CAMPAIGN: "campaignId",
    LeadSource.PARTNER: "partner",
}


@dataclass(frozen=True)
class Origin:
    """A lead's source and the reference it names, as given."""

    source: LeadSource
    referred_by_customer_id: int | None = None
    event_id: int | None = None
    campaign_id: int | None = None
    partner: str | None = None

    @property
    def given(self) -> set[str]:
        """The references named, by their input field's name."""
        values = {
            "referredByCustomerId": self.referred_by_customer_id,
            "eventId": self.event_id,
            "campaignId": self.campaign_id,
            "partner": self.partner,
        }
        return {name for name, value in values.items() if value is not None}


async def checked_origin(session: AsyncSession, by: Principal, origin: Origin) -> Origin:
    """The origin with its reference found in ``by``'s scope (a partner's name
    cleaned); or SOURCE_DETAIL_REQUIRED, SOURCE_DETAIL_NOT_EXPECTED or NOT_FOUND."""
    wanted = FIELDS.get(origin.source)
    if unexpected := sorted(origin.given - {wanted}):
        raise BusinessError(
            "SOURCE_DETAIL_NOT_EXPECTED",
            f"A lead from {origin.source.value} does not name {unexpected[0]}.",
            ["input", unexpected[0]],
        )
    if wanted is None:
        return origin
    field = ["input", wanted]
    if wanted not in origin.given:
        raise BusinessError(
            "SOURCE_DETAIL_REQUIRED",
            f"A lead from {origin.source.value} names its {wanted}.",
            field,
        )
    if origin.source is LeadSource.PARTNER:
        partner = clean_text(origin.partner or "", field=field, max_length=NAME_MAX)
        return Origin(source=origin.source, partner=partner)
    if origin.source is LeadSource.REFERRAL:
        found = await session.scalar(
            select(Customer.id).where(Customer.id == origin.referred_by_customer_id, in_scope(by))
        )
        if found is None:
            raise BusinessError("NOT_FOUND", "There is no such customer.", field)
        return Origin(source=origin.source, referred_by_customer_id=found)
    if origin.source is LeadSource.EVENT:
        found = await session.scalar(
            select(MarketingEvent.id).where(
                MarketingEvent.id == origin.event_id, events_in_scope(by)
            )
        )
        if found is None:
            raise BusinessError("NOT_FOUND", "There is no such event.", field)
        return Origin(source=origin.source, event_id=found)
    found = await session.scalar(
        select(Campaign.id).where(Campaign.id == origin.campaign_id, campaigns_in_scope(by))
    )
    if found is None:
        raise BusinessError("NOT_FOUND", "There is no such campaign.", field)
    return Origin(source=origin.source, campaign_id=found)
