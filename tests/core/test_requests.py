"""Bad and oversized requests: refused with a 4xx or a GraphQL error, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import plugins.security.sign_in
from core.app import create_app
from core.authorization import Role
from core.db import Mode
from core.runtime import Runtime
from plugins.security.models import SignInSession, User
from tests.conftest import PASSWORD, GraphQLClient, Staff
from tests.core.conftest import RuntimeFactory, http_client

LOGIN = (
    "mutation($u: String!, $p: String!) {"
    " login(input: {username: $u, password: $p}) { token errors { code } } }"
)
SECRET = "secret SQL detail"


def assert_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert "sqlalche" not in response.text.lower()
    assert "SELECT" not in response.text


def error_messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [error["message"] for error in response.json()["errors"]]


def error_codes(response: httpx.Response) -> list[str]:
    """Every error's ``extensions.code``: each has one, GraphQL's own refusals too."""
    return [error["extensions"]["code"] for error in response.json()["errors"]]


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def operations(count: int) -> str:
    """``count`` five-token operations: a document of ``5 * count`` tokens."""
    return " ".join(f"query Q{i} {{ __typename }}" for i in range(count))


async def test_a_malformed_json_body_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b'{"query": "{ me', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert_clean(response)


async def test_an_empty_body_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert_clean(response)


async def test_a_body_without_a_query_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"variables": {}})

    assert response.status_code == 400
    assert_clean(response)


@pytest.mark.parametrize("body", [b'"{ me { id } }"', b"5", b"true", b"null"])
async def test_a_json_body_that_is_not_an_object_is_a_400(
    http: httpx.AsyncClient, body: bytes
) -> None:
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400


async def test_a_body_that_is_not_utf8_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b'{"query": "\xff"}', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400


async def test_a_batch_of_operations_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=[{"query": "{ __typename }"}])

    assert response.status_code == 400
    assert_clean(response)


async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 400
    assert_clean(response)


async def test_variables_that_are_not_an_object_are_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ __typename }", "variables": [1]})

    assert response.status_code == 400
    assert_clean(response)


async def test_an_unknown_operation_name_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "B"}
    )

    assert response.status_code == 400
    assert_clean(response)


async def test_other_http_methods_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.put("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_path_nobody_serves_is_refused_in_the_same_shape(http: httpx.AsyncClient) -> None:
    response = await http.get("/nothing-here")

    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_an_unknown_field_is_a_graphql_error(client: GraphQLClient) -> None:
    response = await client.post("{ nothingHere }")

    assert_clean(response)
    assert response.json()["data"] is None
    assert error_messages(response) == ["Cannot query field 'nothingHere' on type 'Query'."]
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_syntax_error_is_a_graphql_error(client: GraphQLClient) -> None:
    response = await client.post("{ me { id }")

    assert_clean(response)
    assert error_messages(response)[0].startswith("Syntax Error")
    assert error_codes(response) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_variable_of_the_wrong_type_is_a_graphql_error(client: GraphQLClient) -> None:
    response = await client.post(LOGIN, {"u": 42, "p": "x"})

    assert_clean(response)
    assert "'$u'" in error_messages(response)[0]
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_missing_required_variable_is_a_graphql_error(client: GraphQLClient) -> None:
    response = await client.post(LOGIN, {"u": "admin"})

    assert_clean(response)
    assert "'$p'" in error_messages(response)[0]


async def test_a_nul_character_in_a_variable_is_refused_before_anything_runs(
    admin: GraphQLClient,
) -> None:
    """PostgreSQL cannot hold NUL in text: it failed the statement (a 500), while
    SQLite stored it. Refused at the edge, the same on both."""
    response = await admin.post(
        "query($code: String!) {"
        ' productSuitability(customerId: "Q3VzdG9tZXI6MQ==", productCode: $code) { suitable } }',
        {"code": "FUND\u0000"},
    )

    assert_clean(response)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CHARACTERS"


async def test_a_nul_character_in_a_literal_is_refused_before_anything_runs(
    admin: GraphQLClient,
) -> None:
    response = await admin.post(
        '{ productSuitability(customerId: "Q3VzdG9tZXI6MQ==", productCode: "\\u0000") {'
        " suitable } }"
    )

    assert_clean(response)
    assert response.json()["data"] is None
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_CHARACTERS"


async def test_text_that_only_spells_an_escaped_nul_is_not_refused(admin: GraphQLClient) -> None:
    response = await admin.post(LOGIN, {"u": "\\u0000", "p": "x"})

    assert_clean(response)
    assert response.status_code == 200
    assert response.json()["data"]["login"]["errors"]


async def test_a_query_may_come_by_get(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", params={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_over_get_is_refused_and_writes_nothing(
    client: GraphQLClient, staff: Staff, runtime: Runtime
) -> None:
    await staff.user("admin", Role.ADMIN)
    query = (
        f'mutation {{ login(input: {{username: "admin", password: "{PASSWORD}"}}) {{ token }} }}'
    )

    response = await client.http.get("/graphql", params={"query": query})

    assert 400 <= response.status_code < 500
    assert "token" not in response.text
    async with runtime.database.transaction(Mode.READ) as session:
        assert await session.scalar(select(func.count()).select_from(SignInSession)) == 0
        assert await session.scalar(select(User.last_login_at)) is None


@pytest.fixture
async def shallow_app(make_runtime: RuntimeFactory) -> Any:
    return create_app(make_runtime(max_query_depth=3))


async def test_a_query_deeper_than_crm_max_query_depth_is_refused(shallow_app: Any) -> None:
    query = "{ users { edges { node { branch { code } } } } }"

    async with http_client(shallow_app) as http:
        response = await http.post("/graphql", json={"query": query})

    assert_clean(response)
    assert error_messages(response) == ["'anonymous' exceeds maximum operation depth of 3"]


async def test_a_query_as_deep_as_crm_max_query_depth_is_allowed(shallow_app: Any) -> None:
    query = "{ users { edges { node { id } } } }"

    async with http_client(shallow_app) as http:
        response = await http.post("/graphql", json={"query": query})

    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_the_deepest_query_the_schema_allows_is_within_the_default_depth(
    client: GraphQLClient,
) -> None:
    body = await client.execute("{ users { edges { node { branch { code } } } } }")

    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_twenty_aliases_are_allowed(client: GraphQLClient) -> None:
    data = await client.data(aliases(20))

    assert len(data) == 20


async def test_twenty_one_aliases_are_refused(client: GraphQLClient) -> None:
    response = await client.post(aliases(21))

    assert_clean(response)
    assert response.json()["data"] is None
    assert error_messages(response) == ["21 aliases found. Allowed: 20"]


async def test_a_document_of_5000_tokens_is_allowed(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", json={"query": operations(1000), "operationName": "Q999"}
    )

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_document_of_more_than_5000_tokens_is_refused(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", json={"query": operations(1001), "operationName": "Q0"}
    )

    assert_clean(response)
    assert "more than 5000 tokens" in error_messages(response)[0]


async def test_a_page_larger_than_crm_max_page_size_is_a_graphql_error(
    client: GraphQLClient, staff: Staff
) -> None:
    await staff.user("admin", Role.ADMIN)
    admin = await client.sign_in("admin")

    response = await admin.post("{ users(first: 101) { totalCount } }")

    assert_clean(response)
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID_PAGE_SIZE"}


async def test_a_foreign_cursor_is_a_graphql_error(client: GraphQLClient, staff: Staff) -> None:
    await staff.user("admin", Role.ADMIN)
    admin = await client.sign_in("admin")

    response = await admin.post('{ users(after: "bm90IG1pbmU=") { totalCount } }')

    assert_clean(response)
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID_CURSOR"}


async def test_an_unexpected_error_in_a_resolver_is_masked(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(plugins.security.sign_in, "sign_in", broken)

    response = await client.post(LOGIN, {"u": "admin", "p": PASSWORD})

    assert_clean(response)
    assert SECRET not in response.text
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["path"] == ["login"]


async def test_an_unexpected_error_while_signing_the_caller_in_is_masked(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(plugins.security.sign_in, "principal_for_token", broken)

    response = await client.http.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": "Bearer some.signed.token"},
    )

    assert_clean(response)
    assert SECRET not in response.text
    assert response.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
