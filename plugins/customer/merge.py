"""Merging a customer registered twice into the one that stays (the survivor).

Everything the duplicate holds moves to the survivor: this plugin's rows here,
every other plugin's through ``crm_customer_merge``. The duplicate is closed
with a pointer to the survivor, so its number still leads somewhere. The
caller's transaction makes the whole merge one unit.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.errors import BusinessError
from core.events import EventBus
from core.plugins import PluginRegistry
from plugins.customer.events import CustomersMerged
from plugins.customer.models import (
    Customer,
    CustomerShare,
    CustomerStatus,
    CustomerTag,
    FollowUp,
    Interaction,
    ManagerAssignment,
    Relationship,
    TierChange,
)

MOVED_BY_CUSTOMER_ID = (Interaction, FollowUp, CustomerShare, ManagerAssignment, TierChange)


async def merge_customers(
    session: AsyncSession,
    plugins: PluginRegistry,
    events: EventBus,
    survivor: Customer,
    duplicate: Customer,
) -> Customer:
    if survivor.id == duplicate.id:
        raise BusinessError(
            "SAME_CUSTOMER", "A customer cannot be merged into itself.", ["input", "duplicateId"]
        )
    for customer, field in ((survivor, "survivorId"), (duplicate, "duplicateId")):
        if customer.status is CustomerStatus.CLOSED:
            raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", field])
    if survivor.kind is not duplicate.kind:
        raise BusinessError(
            "KIND_MISMATCH",
            "A person and a company cannot be the same customer.",
            ["input", "duplicateId"],
        )
    old, new = duplicate.id, survivor.id
    await _move_tags(session, old, new)  # type: ignore[arg-type]
    await _move_relationships(session, old, new)  # type: ignore[arg-type]
    for model in MOVED_BY_CUSTOMER_ID:
        await session.execute(
            update(model).where(model.customer_id == old).values(customer_id=new)  # type: ignore[attr-defined]
        )
    answers = plugins.hook.crm_customer_merge(session=session, survivor_id=new, duplicate_id=old)
    try:
        for answer in answers:
            await answer
    finally:
        for answer in answers:
            answer.close()  # those not awaited when one refused the merge

    if survivor.relationship_manager_id is None:
        survivor.relationship_manager_id = duplicate.relationship_manager_id
    survivor.phone = survivor.phone or duplicate.phone
    survivor.email = survivor.email or duplicate.email
    duplicate.status = CustomerStatus.CLOSED
    duplicate.closed_at = utcnow()
    duplicate.merged_into_id = new
    duplicate.closed_reason = f"Merged into customer {survivor.customer_no}."
    session.add_all([survivor, duplicate])
    await session.flush()
    await events.publish(CustomersMerged(survivor_id=new, duplicate_id=old), session)  # type: ignore[arg-type]
    return survivor


async def _move_tags(session: AsyncSession, old: int, new: int) -> None:
    kept = select(CustomerTag.tag).where(CustomerTag.customer_id == new)
    await session.execute(
        delete(CustomerTag).where(CustomerTag.customer_id == old, CustomerTag.tag.in_(kept))  # type: ignore[attr-defined]
    )
    await session.execute(
        update(CustomerTag).where(CustomerTag.customer_id == old).values(customer_id=new)
    )


async def _move_relationships(session: AsyncSession, old: int, new: int) -> None:
    """Re-point the duplicate's links; drop the link between the two and any the
    survivor already has with the same customer."""
    linked_to_survivor = (
        select(Relationship.related_customer_id)
        .where(Relationship.customer_id == new)
        .union(select(Relationship.customer_id).where(Relationship.related_customer_id == new))
    )
    R = Relationship
    await session.execute(
        delete(R).where(
            or_(
                and_(R.customer_id == old, R.related_customer_id == new),
                and_(R.customer_id == new, R.related_customer_id == old),
                and_(R.customer_id == old, R.related_customer_id.in_(linked_to_survivor)),  # type: ignore[attr-defined]
                and_(R.related_customer_id == old, R.customer_id.in_(linked_to_survivor)),  # type: ignore[attr-defined]
            )
        )
    )
    await session.execute(update(R).where(R.customer_id == old).values(customer_id=new))
    await session.execute(
        update(R).where(R.related_customer_id == old).values(related_customer_id=new)
    )
