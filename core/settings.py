"""One typed settings object, read from ``CRM_*`` environment variables."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from core.errors import ConfigurationError

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
MIN_PRODUCTION_SECRET_LENGTH = 32
ORIGIN = re.compile(r"https?://[^/\s?#]+/?")


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything an operator can set. Each field is ``CRM_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{Path('crm.db').absolute()}",
        description="SQLAlchemy URL; sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    secret_key: str = Field(default="", description="Signs sign-in tokens; 32+ characters.")
    plugins: Annotated[tuple[str, ...] | None, NoDecode] = Field(
        default=None, description="Comma-separated plugin names to enable; default every one."
    )
    timezone: str = Field(default="Asia/Shanghai", description="The bank's business time zone.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    token_ttl_minutes: int = Field(default=480, gt=0)
    session_idle_minutes: int = Field(default=30, gt=0)
    metrics_token: SecretStr | None = Field(
        default=None, description="If set, /metrics answers only requests bearing it."
    )
    login_max_failures: int = Field(default=5, gt=0)
    login_lock_minutes: int = Field(default=15, gt=0)

    max_query_depth: int = Field(default=10, gt=0)
    max_aliases: int = Field(default=20, gt=0)
    max_tokens: int = Field(default=5000, gt=0)
    max_page_size: int = Field(default=100, gt=0)
    max_query_cost: int = Field(
        default=5_000_000, gt=0, description="Estimated fields a query may fetch (schema/cost.py)."
    )
    max_body_bytes: int = Field(default=1_048_576, gt=0, description="Largest request body.")

    rate_limit_window_seconds: int = Field(default=60, gt=0)
    requests_per_address: int = Field(
        default=600, gt=0, description="API requests per window from one client address."
    )
    requests_per_user: int = Field(
        default=300, gt=0, description="API requests per window by one signed-in user."
    )
    sign_ins_per_address: int = Field(
        default=10, gt=0, description="Sign-in attempts per window from one client address."
    )
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = Field(
        default=(),
        description="Proxies (addresses or networks) whose X-Forwarded-For names the client.",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Origins whose browser pages may call the API; none by default."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("plugins", mode="before")
    @classmethod
    def _split_plugins(cls, value: object) -> object:
        if isinstance(value, str):
            names = tuple(name.strip() for name in value.split(",") if name.strip())
            return names or None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return _comma_separated(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        value = _comma_separated(value)
        if isinstance(value, tuple | list):
            return tuple(ip_network(item, strict=False) for item in value)
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin like https://crm.bank.example")
        return tuple(origin.rstrip("/") for origin in value)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @cached_property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database.get_backend_name() == "sqlite"

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today's date in the bank's time zone."""
        return datetime.now(self.zone).date()

    @property
    def signing_key(self) -> str:
        return self.secret_key or DEVELOPMENT_SECRET_KEY

    def check(self) -> Settings:
        """Refuse settings that would start a broken or unsafe process."""
        try:
            url = self.database
        except ArgumentError:
            raise ConfigurationError(
                f"CRM_DATABASE_URL is not a database URL: {self.database_url!r}; "
                "use sqlite+aiosqlite:///crm.db or postgresql+asyncpg://user@host/db"
            ) from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ConfigurationError(
                f"CRM_DATABASE_URL uses the driver {url.drivername!r}; "
                "use sqlite+aiosqlite:///... or postgresql+asyncpg://..."
            )
        try:
            self.zone  # noqa: B018
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigurationError(
                f"CRM_TIMEZONE {self.timezone!r} is not a time zone; use e.g. Asia/Shanghai"
            ) from None
        if self.is_production and (
            len(self.secret_key) < MIN_PRODUCTION_SECRET_LENGTH
            or self.secret_key == DEVELOPMENT_SECRET_KEY
        ):
            raise ConfigurationError(
                "CRM_SECRET_KEY must be set to a random string of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when CRM_ENV=production; "
                'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return self


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def load_settings(**overrides: object) -> Settings:
    """Read and check the settings; a bad value raises one readable ConfigurationError."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "CRM_" + str(first["loc"][0]).upper() if first["loc"] else "a CRM_ setting"
        raise ConfigurationError(f"{name}: {first['msg']}") from None
    return settings.check()
