"""The service plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from datetime import time
from functools import cache

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class ServiceSettings(BaseSettings):
    """Service hours, escalation warning and the satisfaction follow-up rule."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    service_opens: time = Field(default=time(9, 0), description="Service hours start.")
    service_closes: time = Field(default=time(17, 0), description="Service hours end.")
    sla_warning_minutes: int = Field(
        default=60,
        ge=0,
        description="A deadline this many minutes away or less is escalated as at risk.",
    )
    low_satisfaction: int = Field(
        default=2,
        ge=1,
        le=5,
        description="A survey scoring this or less gets the relationship manager a follow-up.",
    )

    @model_validator(mode="after")
    def _a_working_day(self) -> ServiceSettings:
        if not self.service_opens < self.service_closes:
            raise ValueError("CRM_SERVICE_OPENS must be before CRM_SERVICE_CLOSES")
        return self


@cache
def service_settings() -> ServiceSettings:
    try:
        return ServiceSettings()
    except ValidationError as error:
        raise ConfigurationError(f"service: {error.errors()[0]['msg']}") from None
