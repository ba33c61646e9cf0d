"""The finance plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class FinanceSettings(BaseSettings):
    """Loan approval limits, penalty interest and the anomaly rules of reconciliation."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    loan_branch_approval_limit: Decimal = Field(
        default=Decimal(1_000_000),
        gt=0,
        description="The largest loan (CNY) a branch manager may approve; above it, head office.",
    )
    loan_penalty_factor: Decimal = Field(
        default=Decimal("1.5"),
        ge=1,
        le=10,
        description="Overdue principal accrues penalty interest at this many times the loan rate.",
    )
    large_cash_threshold: Decimal = Field(
        default=Decimal(50_000),
        gt=0,
        description="A cash movement of this much (CNY) or more is reported as large-value.",
    )
    structuring_margin: Decimal = Field(
        default=Decimal("0.1"),
        gt=0,
        lt=1,
        description="Cash movements within this share below the large-value threshold count "
        "as just under it.",
    )
    structuring_movements: int = Field(
        default=2,
        ge=2,
        description="This many just-under movements by one customer in a day are flagged.",
    )
    pass_through_share: Decimal = Field(
        default=Decimal("0.9"),
        gt=0,
        le=1,
        description="An account that pays out this share of what came in the same day, when "
        "what came in reaches the large-value threshold, is flagged as in-and-straight-out.",
    )


@cache
def finance_settings() -> FinanceSettings:
    try:
        return FinanceSettings()
    except ValidationError as error:
        raise ConfigurationError(f"finance: {error.errors()[0]['msg']}") from None
