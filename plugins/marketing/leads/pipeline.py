"""A lead's way through the pipeline: recorded as NEW, moved forward through
CONTACTED, QUALIFIED and PROPOSAL to WON, or dropped as LOST.

A lead only moves forward, and may skip stages (a prospect who signs at the
first meeting goes from NEW to WON); it may be lost from any open stage, with
the reason. WON and LOST are final. Winning makes the probability 100 and
losing makes it 0, so the weighted pipeline never counts a decided lead at a
guess. Every move, and the recording itself, is kept as a stage change.

The lead belongs to its owner's branch: staff of a branch record leads for
themselves or a colleague of their branch; head office names the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.money import checked_amount
from core.row_lock import locked_row
from core.validation import clean_text
from plugins.customer.contact_details import contact_details
from plugins.customer.models import CustomerKind
from plugins.marketing.leads.models import Lead, LeadStage, LeadStageChange
from plugins.marketing.leads.scope import leads_in_scope
from plugins.marketing.leads.sources import Origin, checked_origin
from plugins.marketing.models import NAME_MAX, TEXT_MAX
from plugins.marketing.permissions import LEAD_MANAGE
from plugins.marketing.products import product_by_code
from plugins.security.models import User
from plugins.security.services import active_user_may

S = LeadStage
ORDER = {S.NEW: 0, S.CONTACTED: 1, S.QUALIFIED: 2, S.PROPOSAL: 3, S.WON: 4}
FINAL = frozenset({S.WON, S.LOST})


def may_move(from_stage: LeadStage, to: LeadStage) -> bool:
    """Forward from an open stage, by one step or more; or to LOST."""
    if from_stage in FINAL:
        return False
    return to is S.LOST or ORDER[to] > ORDER[from_stage]


@dataclass(frozen=True)
class Terms:
    """What a lead is worth and who works it; None leaves a value as it is."""

    owner_id: int | None = None
    expected_amount: Decimal | None = None
    probability: int | None = None
    product_code: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Prospect:
    name: str
    origin: Origin
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    phone: str | None = None
    email: str | None = None
    terms: Terms = Terms()


async def create_lead(
    session: AsyncSession, permissions: PermissionTable, by: Principal, prospect: Prospect
) -> Lead:
    """Record a prospect as a NEW lead, owned by ``by`` unless the terms name an owner."""
    name = clean_text(prospect.name, field=["input", "name"], max_length=NAME_MAX)
    phone, email = contact_details(prospect.phone, prospect.email)
    origin = await checked_origin(session, by, prospect.origin)
    owner_id = prospect.terms.owner_id
    if owner_id is None and by.branch_id is None:
        raise BusinessError(
            "OWNER_REQUIRED", "Head office names the lead's owner.", ["input", "ownerId"]
        )
    owner = await _owner(session, permissions, by, by.user_id if owner_id is None else owner_id)
    lead = Lead(
        name=name,
        kind=prospect.kind,
        phone=phone,
        email=email,
        source=origin.source,
        referred_by_customer_id=origin.referred_by_customer_id,
        event_id=origin.event_id,
        campaign_id=origin.campaign_id,
        partner=origin.partner,
        owner_id=owner.id,  # type: ignore[arg-type]
        branch_id=owner.branch_id,  # type: ignore[arg-type]
        created_by=by.user_id,
    )
    await _apply(session, permissions, by, lead, prospect.terms)
    session.add(lead)
    await session.flush()
    session.add(LeadStageChange(lead_id=lead.id, to_stage=S.NEW, changed_by=by.user_id))  # type: ignore[arg-type]
    await session.flush()
    return lead


async def lead_for_update(session: AsyncSession, by: Principal, lead_id: int | None) -> Lead:
    """The lead, locked, if ``by`` may see it; a lead out of scope is NOT_FOUND."""
    lead = await locked_row(session, Lead, lead_id, leads_in_scope(by))
    if lead is None:
        raise BusinessError("NOT_FOUND", "There is no such lead.", ["input", "leadId"])
    return lead


async def move_lead(
    session: AsyncSession,
    by: Principal,
    lead_id: int | None,
    to: LeadStage,
    note: str | None = None,
    reason: str | None = None,
) -> Lead:
    """Move a lead on; losing it needs the reason, any other move refuses one."""
    lead = await lead_for_update(session, by, lead_id)
    if not may_move(lead.stage, to):
        raise BusinessError(
            "ILLEGAL_TRANSITION",
            f"A lead cannot go from {lead.stage.value} to {to.value}.",
            ["input", "stage"],
        )
    if to is S.LOST:
        if reason is None or not reason.strip():
            raise BusinessError(
                "REASON_REQUIRED", "Say why the lead was lost.", ["input", "reason"]
            )
        lead.lost_reason = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
        lead.probability = 0
    elif reason is not None:
        raise BusinessError(
            "REASON_NOT_EXPECTED", "Only a lost lead has a reason.", ["input", "reason"]
        )
    if to is S.WON:
        lead.probability = 100
    session.add(
        LeadStageChange(
            lead_id=lead.id,  # type: ignore[arg-type]
            from_stage=lead.stage,
            to_stage=to,
            note=_note(note),
            changed_by=by.user_id,
        )
    )
    lead.stage, lead.updated_at = to, utcnow()
    session.add(lead)
    await session.flush()
    return lead


async def update_lead(
    session: AsyncSession,
    permissions: PermissionTable,
    by: Principal,
    lead_id: int | None,
    terms: Terms,
) -> Lead:
    """Change an open lead's owner, expected amount, probability, product or note."""
    lead = await lead_for_update(session, by, lead_id)
    if lead.stage in FINAL:
        raise BusinessError(
            "LEAD_CLOSED", f"The lead is {lead.stage.value}; it no longer changes.", ["input"]
        )
    await _apply(session, permissions, by, lead, terms)
    lead.updated_at = utcnow()
    session.add(lead)
    await session.flush()
    return lead


async def _apply(
    session: AsyncSession, permissions: PermissionTable, by: Principal, lead: Lead, terms: Terms
) -> None:
    if terms.owner_id is not None and terms.owner_id != lead.owner_id:
        owner = await _owner(session, permissions, by, terms.owner_id)
        if owner.branch_id != lead.branch_id:
            raise BusinessError(
                "OWNER_OF_ANOTHER_BRANCH",
                f"{owner.display_name} works in another branch than the lead's.",
                ["input", "ownerId"],
            )
        lead.owner_id = owner.id  # type: ignore[assignment]
    if terms.expected_amount is not None:
        lead.expected_amount = _expected(terms.expected_amount)
    if terms.probability is not None:
        if not 0 <= terms.probability <= 100:
            raise BusinessError(
                "INVALID_PROBABILITY",
                "The probability is a percentage from 0 to 100.",
                ["input", "probability"],
            )
        lead.probability = terms.probability
    if terms.product_code is not None:
        product = await product_by_code(session, terms.product_code)
        if product is None:
            raise BusinessError("NOT_FOUND", "There is no such product.", ["input", "productCode"])
        lead.product_id = product.id
    if terms.note is not None:
        lead.note = _note(terms.note)


def _expected(amount: Decimal) -> Decimal:
    """An expected amount may be nothing yet (0.00), never negative."""
    field = ["input", "expectedAmount"]
    if amount.is_finite() and amount <= 0:
        if amount < 0:
            raise BusinessError("INVALID_AMOUNT", "The amount may not be negative.", field)
        return Decimal("0.00")
    return checked_amount(amount, field)


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    return clean_text(note, field=["input", "note"], max_length=TEXT_MAX, required=False) or None


async def _owner(
    session: AsyncSession, permissions: PermissionTable, by: Principal, user_id: int
) -> User:
    """The member of staff a lead may be given to: active, of a branch (``by``'s,
    unless ``by`` is head office), and able to manage leads."""
    field = ["input", "ownerId"]
    user = await session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or (by.branch_id is not None and user.branch_id != by.branch_id)
    ):
        raise BusinessError("NOT_FOUND", "There is no such member of staff.", field)
    if user.branch_id is None:
        raise BusinessError(
            "OWNER_WITHOUT_BRANCH", f"{user.display_name} works at head office.", field
        )
    if not await active_user_may(session, permissions, user_id, LEAD_MANAGE):
        raise BusinessError(
            "OWNER_CANNOT_MANAGE_LEADS", f"{user.display_name} may not work leads.", field
        )
    return user
