"""One schema from many plugins: a plugin installed through an entry point adds a
root field and a field on another plugin's type, and disabling it removes both."""

from __future__ import annotations

import httpx
import pytest

from core.app import create_app
from core.authorization import Role
from core.errors import ConfigurationError
from core.runtime import Runtime
from schema.build import build_schema
from tests.conftest import GraphQLClient, settings_for


def sdl(database_url: str, plugins: str | None = None) -> str:
    settings = settings_for(database_url, plugins=plugins)
    return str(build_schema(Runtime.create(settings)))


@pytest.mark.usefixtures("loyalty_installed")
def test_an_installed_plugin_adds_a_root_field_and_a_field_on_user(database_url):
    schema = sdl(database_url)

    assert "loyaltyPointsPerYuan: Int!" in schema
    assert "loyaltyBadge: String!" in schema.split("type User implements Node {")[1]


@pytest.mark.usefixtures("loyalty_installed")
def test_disabling_the_plugin_removes_both_fields(database_url):
    schema = sdl(database_url, plugins="security")

    assert "loyaltyPointsPerYuan" not in schema
    assert "loyaltyBadge" not in schema


@pytest.mark.usefixtures("loyalty_installed")
def test_enabling_a_plugin_without_its_requirement_fails_with_a_clear_message(database_url):
    with pytest.raises(ConfigurationError) as refused:
        Runtime.create(settings_for(database_url, plugins="loyalty"))

    assert str(refused.value) == (
        "plugin 'loyalty' requires plugin 'security', which is not enabled; "
        "add 'security' to CRM_PLUGINS "
        "(installed plugins: customer, finance, loyalty, marketing, security, service)"
    )


@pytest.mark.usefixtures("loyalty_installed")
async def test_the_added_fields_resolve_through_the_api(runtime, database_url, staff):
    await staff.user("root", Role.ADMIN)
    await staff.branch("BJ-001")
    await staff.user("bj.teller", Role.TELLER, branch="BJ-001")
    with_loyalty = Runtime.create(settings_for(database_url))
    transport = httpx.ASGITransport(app=create_app(with_loyalty))
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        admin = await GraphQLClient(http).sign_in("root")
        teller = await GraphQLClient(http).sign_in("bj.teller")

        data = await admin.data("{ loyaltyPointsPerYuan me { loyaltyBadge } }")
        refused = await teller.execute("{ loyaltyPointsPerYuan }")
    await with_loyalty.close()

    assert data == {"loyaltyPointsPerYuan": 3, "me": {"loyaltyBadge": "gold:root"}}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
