"""The marketing plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from functools import cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class MarketingSettings(BaseSettings):
    """The frequency cap and how long a risk assessment stays valid."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    campaign_frequency_cap_days: int = Field(
        default=7,
        ge=0,
        description="A customer targeted by a campaign is left out of others for this many days.",
    )
    risk_assessment_valid_days: int = Field(
        default=365,
        ge=1,
        description="A risk assessment older than this does not make a customer suitable.",
    )


@cache
def marketing_settings() -> MarketingSettings:
    try:
        return MarketingSettings()
    except ValidationError as error:
        raise ConfigurationError(f"marketing: {error.errors()[0]['msg']}") from None
