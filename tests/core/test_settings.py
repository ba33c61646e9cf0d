from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigurationError
from core.settings import DEVELOPMENT_SECRET_KEY, Environment, load_settings

pytestmark = pytest.mark.usefixtures("clean_environment")

STRONG_SECRET = "k" * 48


def test_the_default_database_is_a_sqlite_file_in_the_working_directory() -> None:
    settings = load_settings()

    assert settings.database_url == f"sqlite+aiosqlite:///{Path.cwd() / 'crm.db'}"
    assert settings.is_sqlite


def test_the_defaults_suit_development_in_china() -> None:
    settings = load_settings()

    assert settings.env is Environment.DEVELOPMENT
    assert not settings.is_production
    assert settings.timezone == "Asia/Shanghai"
    assert str(settings.zone) == "Asia/Shanghai"
    assert settings.plugins is None


def test_the_default_request_limits() -> None:
    settings = load_settings()

    assert settings.max_page_size == 100
    assert settings.max_query_depth == 10
    assert settings.max_aliases == 20
    assert settings.max_tokens == 5000


def test_development_signs_tokens_with_the_development_key_when_none_is_set() -> None:
    assert load_settings().signing_key == DEVELOPMENT_SECRET_KEY


def test_settings_are_read_from_crm_variables(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("CRM_TIMEZONE", "Europe/London")
    clean_environment.setenv("CRM_MAX_PAGE_SIZE", "50")

    settings = load_settings()

    assert settings.timezone == "Europe/London"
    assert settings.max_page_size == 50


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b", ("a", "b")),
        ("security", ("security",)),
        (" a ,, b ,", ("a", "b")),
        ("", None),
        (" , ", None),
    ],
)
def test_crm_plugins_is_a_comma_separated_list(
    clean_environment: pytest.MonkeyPatch, value: str, expected: tuple[str, ...] | None
) -> None:
    clean_environment.setenv("CRM_PLUGINS", value)

    assert load_settings().plugins == expected


@pytest.mark.parametrize(
    "secret",
    [None, "", "short-secret", "x" * 31, DEVELOPMENT_SECRET_KEY],
    ids=["missing", "empty", "short", "31-chars", "development-key"],
)
def test_production_refuses_a_weak_secret_key(
    clean_environment: pytest.MonkeyPatch, secret: str | None
) -> None:
    clean_environment.setenv("CRM_ENV", "production")
    if secret is not None:
        clean_environment.setenv("CRM_SECRET_KEY", secret)

    with pytest.raises(ConfigurationError) as refused:
        load_settings()

    message = str(refused.value)
    assert "CRM_SECRET_KEY" in message
    assert "32" in message
    assert "\n" not in message


def test_production_accepts_a_long_random_secret_key(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("CRM_ENV", "production")
    clean_environment.setenv("CRM_SECRET_KEY", STRONG_SECRET)

    settings = load_settings()

    assert settings.is_production
    assert settings.signing_key == STRONG_SECRET


def test_development_accepts_a_missing_secret_key() -> None:
    assert load_settings(env="development", secret_key="").secret_key == ""


@pytest.mark.parametrize(
    "url",
    ["", "not a url", "mysql://x", "sqlite:///crm.db", "postgresql://postgres@localhost/crm"],
)
def test_a_database_url_the_system_cannot_use_names_crm_database_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="CRM_DATABASE_URL"):
        load_settings(database_url=url)


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///data/crm.db", "postgresql+asyncpg://crm:pw@db.bank/crm"]
)
def test_the_async_sqlite_and_postgresql_drivers_are_accepted(url: str) -> None:
    assert load_settings(database_url=url).database_url == url


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "Asia/"])
def test_an_unknown_time_zone_names_crm_timezone(zone: str) -> None:
    with pytest.raises(ConfigurationError, match="CRM_TIMEZONE"):
        load_settings(timezone=zone)


def test_a_time_zone_folder_names_crm_timezone() -> None:
    with pytest.raises(ConfigurationError, match="CRM_TIMEZONE"):
        load_settings(timezone="America")


def test_a_non_integer_page_size_names_crm_max_page_size(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("CRM_MAX_PAGE_SIZE", "lots")

    with pytest.raises(ConfigurationError, match=r"^CRM_MAX_PAGE_SIZE: "):
        load_settings()


@pytest.mark.parametrize(
    "name", ["max_page_size", "max_query_depth", "max_aliases", "max_tokens", "token_ttl_minutes"]
)
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^CRM_{name.upper()}: "):
        load_settings(**{name: 0})


def test_an_unknown_environment_names_crm_env() -> None:
    with pytest.raises(ConfigurationError, match=r"^CRM_ENV: "):
        load_settings(env="staging")


def test_an_unknown_log_level_names_crm_log_level() -> None:
    with pytest.raises(ConfigurationError, match="CRM_LOG_LEVEL"):
        load_settings(log_level="LOUD")


def test_settings_cannot_be_changed_once_loaded() -> None:
    settings = load_settings()

    with pytest.raises(ValueError, match="frozen"):
        settings.max_page_size = 5
