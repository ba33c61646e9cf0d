"""The lead pipeline in figures: per stage, how many leads and what they are
expected to bring, in full and weighted by their probability.

Summed by the database in one GROUP BY over whole fen, so the totals are
exact; the weighted sum (fen × per cent) is divided by 100 once, half-up to
the fen. A lead with no probability weighs nothing; one with no amount adds
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, ColumnElement, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import from_minor_units
from plugins.marketing.leads.models import Lead, LeadStage


@dataclass(frozen=True)
class StageFigures:
    stage: LeadStage
    count: int
    expected_amount: Decimal
    weighted_amount: Decimal


async def pipeline_figures(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[StageFigures]:
    """Every stage, in pipeline order, for the leads ``conditions`` select."""
    fen = func.coalesce(type_coerce(Lead.expected_amount, BigInteger), 0)
    rows = await session.execute(
        select(
            Lead.stage,
            func.count(),
            func.sum(fen),
            func.sum(fen * func.coalesce(Lead.probability, 0)),
        )
        .where(*conditions)
        .group_by(Lead.stage)
    )
    found = {LeadStage(stage): (count, total, weighted) for stage, count, total, weighted in rows}
    figures = []
    for stage in LeadStage:
        count, total, weighted = found.get(stage, (0, 0, 0))
        figures.append(
            StageFigures(
                stage=stage,
                count=count,
                expected_amount=from_minor_units(int(total or 0)),
                weighted_amount=from_minor_units(_per_cent_of(weighted or 0)),
            )
        )
    return figures


def _per_cent_of(fen_per_cent: int | Decimal) -> int:
    """Whole fen from a sum of fen × per cent, half-up."""
    return int((Decimal(fen_per_cent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
