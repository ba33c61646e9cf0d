"""The customer plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError
from plugins.customer.models import CustomerTier


class CustomerSettings(BaseSettings):
    """Service-tier thresholds on assets under management, in CNY."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    tier_affluent_from: Decimal = Field(default=Decimal(50_000), gt=0)
    tier_wealth_from: Decimal = Field(default=Decimal(500_000), gt=0)
    tier_private_from: Decimal = Field(default=Decimal(6_000_000), gt=0)

    @model_validator(mode="after")
    def _ascending(self) -> CustomerSettings:
        if not self.tier_affluent_from < self.tier_wealth_from < self.tier_private_from:
            raise ValueError(
                "CRM_TIER_AFFLUENT_FROM < CRM_TIER_WEALTH_FROM < CRM_TIER_PRIVATE_FROM must hold"
            )
        return self

    def tier_for(self, assets: Decimal) -> CustomerTier:
        if assets >= self.tier_private_from:
            return CustomerTier.PRIVATE
        if assets >= self.tier_wealth_from:
            return CustomerTier.WEALTH
        if assets >= self.tier_affluent_from:
            return CustomerTier.AFFLUENT
        return CustomerTier.MASS


@cache
def customer_settings() -> CustomerSettings:
    try:
        return CustomerSettings()
    except ValidationError as error:
        raise ConfigurationError(f"customer tiers: {error.errors()[0]['msg']}") from None
