"""Segments: named, saved audiences (a customer filter), evaluated in SQL
whenever their size or members are asked for, or a campaign launches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.db import flush_or_refuse
from core.errors import BusinessError
from core.validation import clean_text
from plugins.marketing.models import NAME_MAX, TEXT_MAX, Segment


async def save_segment(
    session: AsyncSession,
    by: Principal,
    name: str,
    rules: dict[str, Any],
    description: str | None,
) -> Segment:
    name = clean_text(name, field=["input", "name"], max_length=NAME_MAX)
    duplicate = BusinessError(
        "DUPLICATE_SEGMENT", "A segment of that name exists.", ["input", "name"]
    )
    if await session.scalar(select(Segment.id).where(Segment.name == name)) is not None:
        raise duplicate
    segment = Segment(
        name=name,
        rules=rules,
        description=clean_text(
            description or "", field=["input", "description"], max_length=TEXT_MAX, required=False
        )
        or None,
        created_by=by.user_id,
    )
    session.add(segment)
    await flush_or_refuse(session, duplicate)
    return segment
