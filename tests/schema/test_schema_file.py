"""The committed SDL is the schema the built-in plugins serve, and every root
field in it passes the authorization chokepoint."""

from __future__ import annotations

from core.authorization import Access
from core.graphql import requirement_of
from core.plugins import discover
from schema.build import build_schema
from tests.conftest import ROOT

BUILT_IN = {"security", "customer", "finance", "service", "marketing"}


def test_schema_graphql_is_current(runtime):
    assert set(discover()) == BUILT_IN, "the committed SDL is of the built-in plugins only"
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")

    assert committed == str(build_schema(runtime)) + "\n", (
        "schema/schema.graphql is stale: run `crm schema export -o schema/schema.graphql`"
    )


def test_every_root_field_declares_a_permission_that_exists(runtime):
    schema = build_schema(runtime)
    roots = [schema.query, schema.mutation]

    for root in roots:
        for field in root.__strawberry_definition__.fields:
            requirement = requirement_of(field)
            assert requirement is not None, f"{root.__name__}.{field.name} has no permission"
            if not isinstance(requirement, Access):
                assert requirement in runtime.permissions.permissions


def test_only_sign_in_is_open_to_anonymous_callers(runtime):
    schema = build_schema(runtime)
    open_fields = {
        field.name
        for root in (schema.query, schema.mutation)
        for field in root.__strawberry_definition__.fields
        if requirement_of(field) is Access.ANYONE
    }

    assert open_fields == {"me", "login"}
