"""Batch loads for leads and referrals, always within the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.marketing.leads.models import Lead, LeadStageChange, Referral
from plugins.marketing.leads.scope import leads_in_scope, referrals_in_scope


async def leads_by_id(context: Context, ids: Sequence[int | None]) -> list[Lead | None]:
    """The leads the viewer may see; None for one missing or out of scope alike."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Lead).where(Lead.id.in_(wanted), leads_in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda lead: lead.id)  # type: ignore[arg-type, return-value]


async def stage_changes_by_lead(
    context: Context, ids: Sequence[int]
) -> list[list[LeadStageChange]]:
    """Each lead's moves, oldest first (the leads themselves already in scope)."""
    rows = await context.session.scalars(
        select(LeadStageChange)
        .where(LeadStageChange.lead_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(LeadStageChange.id)
    )
    return all_per_key(ids, rows, lambda change: change.lead_id)


async def referrals_by_id(context: Context, ids: Sequence[int | None]) -> list[Referral | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Referral).where(Referral.id.in_(wanted), referrals_in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda referral: referral.id)  # type: ignore[arg-type, return-value]
