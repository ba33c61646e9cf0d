"""The finance plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class FinanceSettings(BaseSettings):
    """Loan approval limits and penalty interest."""

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


@cache
def finance_settings() -> FinanceSettings:
    try:
        return FinanceSettings()
    except ValidationError as error:
        raise ConfigurationError(f"finance: {error.errors()[0]['msg']}") from None
