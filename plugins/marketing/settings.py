"""The marketing plugin's settings, from ``CRM_*`` environment variables."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class MarketingSettings(BaseSettings):
    """The frequency cap, how long a risk assessment stays valid, and the
    channels campaign messages are delivered through. A channel whose gateway
    is not configured keeps its messages queued until it is."""

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
    offer_maturity_days: int = Field(
        default=30,
        ge=1,
        description="Offers: a fixed deposit maturing within this many days is a signal.",
    )
    offer_idle_balance_from: Decimal = Field(
        default=Decimal(50_000),
        gt=0,
        description="Offers: demand deposits of at least this much (CNY), not moved for "
        "offer_idle_days, are an idle balance worth investing.",
    )
    offer_idle_days: int = Field(
        default=30, ge=1, description="Offers: how long a demand deposit must lie unmoved."
    )
    offer_tier_days: int = Field(
        default=30,
        ge=1,
        description="Offers: a tier reached within this many days opens its products.",
    )
    referral_share_days: int = Field(
        default=30,
        ge=1,
        le=90,
        description="A customer referred to a specialist team is shared with the specialist "
        "who accepts the referral for this many days.",
    )
    event_follow_up_days: int = Field(
        default=3,
        ge=0,
        le=90,
        description="An event's attendee is followed up by their manager within this many days.",
    )

    smtp_host: str | None = Field(default=None, description="The SMTP server for e-mail.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = Field(default="crm@bank.example", description="The From address.")
    sms_gateway_url: AnyHttpUrl | None = Field(
        default=None, description="Where SMS messages are posted as signed webhook calls."
    )
    app_gateway_url: AnyHttpUrl | None = Field(
        default=None, description="Where app pushes are posted as signed webhook calls."
    )
    gateway_secret: SecretStr = Field(
        default=SecretStr(""), description="The HMAC-SHA256 key webhook calls are signed with."
    )
    gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    delivery_batch_size: int = Field(default=100, ge=1, le=10_000)
    delivery_max_attempts: int = Field(
        default=8, ge=1, description="After this many failed attempts a message is given up."
    )
    delivery_retry_seconds: int = Field(
        default=60, ge=1, description="The first retry's delay; each next one waits twice as long."
    )
    delivery_lease_seconds: int = Field(
        default=300,
        ge=1,
        description="A message being sent is taken up again after this long (the sender died).",
    )


@cache
def marketing_settings() -> MarketingSettings:
    try:
        return MarketingSettings()
    except ValidationError as error:
        raise ConfigurationError(f"marketing: {error.errors()[0]['msg']}") from None
