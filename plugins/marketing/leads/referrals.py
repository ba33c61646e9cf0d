"""Referring a customer to a specialist team (wealth advisory, private banking,
insurance, lending, corporate), and the outcome.

A manager refers a customer in their scope, saying why; one customer has at
most one open referral to a team at a time. A specialist (``referral.work``)
who is not the referrer accepts it, which shares the customer with them for
``CRM_REFERRAL_SHARE_DAYS`` days through the customer plugin (a specialist
outside the customer's portfolio could not serve them otherwise), or declines
it with the reason. The specialist who accepted it closes it as WON, with the
amount the customer took up if any, or LOST, saying what came of it.

OPEN → ACCEPTED → WON or LOST; OPEN → DECLINED.
"""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.money import checked_amount
from core.row_lock import locked_row
from core.validation import clean_text
from plugins.customer.managers import share_customer
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.marketing.leads.models import Referral, ReferralStatus, SpecialistTeam
from plugins.marketing.leads.scope import referrals_in_scope
from plugins.marketing.models import TEXT_MAX
from plugins.marketing.settings import marketing_settings

R = ReferralStatus


class ReferralResult(enum.StrEnum):
    """How an accepted referral ends."""

    WON = "WON"
    LOST = "LOST"


async def refer_customer(
    session: AsyncSession, by: Principal, customer: Customer, team: SpecialistTeam, reason: str
) -> Referral:
    """Refer ``customer`` (already checked to be in ``by``'s scope) to ``team``."""
    reason = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    open_already = await session.scalar(
        select(Referral.id).where(
            Referral.customer_id == customer.id,
            Referral.team == team,
            Referral.status.in_((R.OPEN, R.ACCEPTED)),  # type: ignore[attr-defined]
        )
    )
    if open_already is not None:
        raise BusinessError(
            "REFERRAL_ALREADY_OPEN",
            f"The customer is already referred to {team.value}.",
            ["input", "team"],
        )
    referral = Referral(
        customer_id=customer.id,  # type: ignore[arg-type]
        team=team,
        reason=reason,
        referred_by=by.user_id,
    )
    session.add(referral)
    await session.flush()
    return referral


async def referral_for_update(
    session: AsyncSession, by: Principal, referral_id: int | None
) -> Referral:
    """The referral, locked, if ``by`` may see it; NOT_FOUND otherwise."""
    referral = await locked_row(session, Referral, referral_id, referrals_in_scope(by))
    if referral is None:
        raise BusinessError("NOT_FOUND", "There is no such referral.", ["input", "referralId"])
    return referral


async def accept_referral(
    session: AsyncSession, by: Principal, referral_id: int | None
) -> Referral:
    """Take an open referral on; the customer is shared with ``by`` if out of their scope."""
    referral = await _open_for_specialist(session, by, referral_id, R.ACCEPTED)
    referral.status, referral.specialist_id = R.ACCEPTED, by.user_id
    session.add(referral)
    reachable = await session.scalar(
        select(Customer.id).where(Customer.id == referral.customer_id, in_scope(by))
    )
    if reachable is None:
        customer = await session.get_one(Customer, referral.customer_id)
        await share_customer(
            session,
            customer,
            by.user_id,
            marketing_settings().referral_share_days,
            f"Referred to {referral.team.value}.",
            by.user_id,
        )
    await session.flush()
    return referral


async def decline_referral(
    session: AsyncSession, by: Principal, referral_id: int | None, reason: str
) -> Referral:
    """Turn an open referral down, saying why."""
    referral = await _open_for_specialist(session, by, referral_id, R.DECLINED)
    referral.outcome = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    referral.status, referral.specialist_id = R.DECLINED, by.user_id
    referral.closed_at = utcnow()
    session.add(referral)
    await session.flush()
    return referral


async def close_referral(
    session: AsyncSession,
    by: Principal,
    referral_id: int | None,
    result: ReferralResult,
    outcome: str,
    amount: Decimal | None = None,
) -> Referral:
    """Record what came of an accepted referral; only its specialist closes it."""
    referral = await referral_for_update(session, by, referral_id)
    if referral.status is not R.ACCEPTED:
        raise _illegal(referral, R(result.value))
    if referral.specialist_id != by.user_id:
        raise BusinessError(
            "NOT_YOUR_REFERRAL",
            "Only the specialist who accepted the referral closes it.",
            ["input", "referralId"],
        )
    outcome = clean_text(outcome, field=["input", "outcome"], max_length=TEXT_MAX)
    if amount is not None and result is not ReferralResult.WON:
        raise BusinessError(
            "AMOUNT_NOT_EXPECTED", "Only a won referral records an amount.", ["input", "amount"]
        )
    referral.amount = checked_amount(amount, ["input", "amount"]) if amount is not None else None
    referral.status, referral.outcome, referral.closed_at = R(result.value), outcome, utcnow()
    session.add(referral)
    await session.flush()
    return referral


async def _open_for_specialist(
    session: AsyncSession, by: Principal, referral_id: int | None, to: ReferralStatus
) -> Referral:
    referral = await referral_for_update(session, by, referral_id)
    if referral.status is not R.OPEN:
        raise _illegal(referral, to)
    if referral.referred_by == by.user_id:
        raise BusinessError(
            "OWN_REFERRAL",
            "A specialist other than the one who made the referral takes it.",
            ["input", "referralId"],
        )
    return referral


def _illegal(referral: Referral, to: ReferralStatus) -> BusinessError:
    return BusinessError(
        "ILLEGAL_TRANSITION",
        f"A referral cannot go from {referral.status.value} to {to.value}.",
        ["input", "referralId"],
    )
