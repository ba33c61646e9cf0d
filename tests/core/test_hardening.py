"""API hardening: body size, batches, mutations over GET, query cost, CORS and
security headers. Each refusal has its stable code and changes nothing."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import core.app
from core.app import create_app
from core.authorization import Role
from core.errors import ConfigurationError
from core.runtime import Runtime
from core.settings import load_settings
from tests.conftest import GraphQLClient, Staff
from tests.core.conftest import RuntimeFactory, http_client
from tests.core.hardening import error_code, row_counts

CREATE_BRANCH = (
    'mutation { createBranch(input: {code: "GZ-001", name: "广州分行"}) { errors { code } } }'
)


async def test_a_body_declared_larger_than_the_limit_is_refused_unread(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(max_body_bytes=1000))
    body = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 2000 + b'"}}'

    async with http_client(app) as http:
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )

    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "The request body is larger than 1000 bytes.",
                "extensions": {"code": "REQUEST_TOO_LARGE"},
            }
        ]
    }


async def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(max_body_bytes=1000))
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(100):  # 10 kB in all, without a Content-Length
            sent.append(n)
            yield b'{"query": "{ __typename }", "x": "' if n == 0 else b"a" * 100

    async with http_client(app) as http:
        response = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )

    assert response.status_code == 413
    assert error_code(response) == "REQUEST_TOO_LARGE"
    assert len(sent) < 20


async def test_a_body_within_the_limit_is_served(make_runtime: RuntimeFactory) -> None:
    app = create_app(make_runtime(max_body_bytes=1000))

    async with http_client(app) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_oversized_mutation_writes_nothing(
    make_runtime: RuntimeFactory, staff: Staff, runtime: Runtime
) -> None:
    await staff.user("root", Role.ADMIN)
    app = create_app(make_runtime(max_body_bytes=300))
    async with http_client(app) as http:
        token = await GraphQLClient(http).sign_in("root")
        before = await row_counts(runtime)
        response = await http.post(
            "/graphql",
            json={"query": CREATE_BRANCH, "variables": {"padding": "x" * 500}},
            headers={"Authorization": f"Bearer {token.token}"},
        )

    assert response.status_code == 413
    assert await row_counts(runtime) == before


async def test_a_batch_is_refused_with_its_code(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=[{"query": "{ __typename }"}] * 50)

    assert response.status_code == 400
    assert error_code(response) == "BATCH_NOT_SUPPORTED"


async def test_a_mutation_over_get_is_405_and_writes_nothing(
    admin: GraphQLClient, runtime: Runtime
) -> None:
    before = await row_counts(runtime)

    response = await admin.http.get(
        "/graphql",
        params={"query": CREATE_BRANCH},
        headers={"Authorization": f"Bearer {admin.token}"},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert await row_counts(runtime) == before


async def test_other_refusals_of_the_endpoint_carry_a_code(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"


def connection_query(first: int | str, nested: str = "") -> str:
    return f"{{ users(first: {first}) {{ edges {{ node {{ username {nested} }} }} }} }}"


async def test_a_query_costing_more_than_crm_max_query_cost_is_refused(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(max_query_cost=100))

    async with http_client(app) as http:
        costly = await http.post("/graphql", json={"query": connection_query(50)})
        cheap = await http.post("/graphql", json={"query": connection_query(10)})

    assert costly.status_code == 200
    assert costly.json()["data"] is None
    [error] = costly.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY"}
    assert "151, more than the 100 allowed" in error["message"]
    assert error_code(cheap) == "UNAUTHENTICATED"  # passed the limit, then needs a sign-in


async def test_a_page_size_given_by_a_variable_costs_the_largest_page(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(max_query_cost=100, max_page_size=60))
    query = "query($n: Int) " + connection_query("$n")

    async with http_client(app) as http:
        response = await http.post("/graphql", json={"query": query, "variables": {"n": 1}})

    assert error_code(response) == "QUERY_TOO_COSTLY"
    assert "181" in response.json()["errors"][0]["message"]


async def test_nested_lists_multiply(make_runtime: RuntimeFactory) -> None:
    app = create_app(make_runtime(max_query_cost=10_000))
    query = connection_query(10, "roles branch { code name }")

    async with http_client(app) as http:
        response = await http.post("/graphql", json={"query": query})

    assert error_code(response) == "UNAUTHENTICATED"  # 1 + 10 * (1 + 1 + 1 + 1 + 3) = 71


async def test_a_costly_mutation_is_refused_before_it_runs(
    admin: GraphQLClient, make_runtime: RuntimeFactory, runtime: Runtime
) -> None:
    app = create_app(make_runtime(max_query_cost=50))  # errors { code } alone costs 101
    before = await row_counts(runtime)

    async with http_client(app) as http:
        response = await GraphQLClient(http, admin.token).post(CREATE_BRANCH)

    assert error_code(response) == "QUERY_TOO_COSTLY"
    assert response.json()["data"] is None
    assert await row_counts(runtime) == before


async def test_the_default_cost_limit_allows_a_page_of_customers_with_their_branch(
    client: GraphQLClient,
) -> None:
    query = (
        "{ customers(first: 100) { totalCount edges { cursor node { id customerNo name tier"
        " branch { code name } relationshipManager { username displayName } tags } } } }"
    )

    body = await client.execute(query)

    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_fragments_spreading_fragments_are_refused_quickly(client: GraphQLClient) -> None:
    fragments = " ".join(
        f"fragment F{n} on Query {{ a{n}: __typename ...F{n + 1} ...F{n + 1} }}" for n in range(60)
    )
    query = f"{{ ...F0 }} {fragments} fragment F60 on Query {{ __typename }}"

    started = time.perf_counter()
    response = await client.post(query)

    assert time.perf_counter() - started < 5
    assert error_code(response) == "QUERY_TOO_COSTLY"
    assert "once its fragments are spread" in response.json()["errors"][0]["message"]


async def test_a_deeply_nested_query_is_refused_cleanly(client: GraphQLClient) -> None:
    query = "{ me { branch " * 600 + "{ id }" + " } }" * 600

    response = await client.post(query)

    assert response.status_code in (200, 400)
    assert "errors" in response.json()
    assert "Traceback" not in response.text
    assert "recursion" not in response.text.lower()


@pytest.fixture
async def cors_app(make_runtime: RuntimeFactory) -> Any:
    return create_app(make_runtime(cors_origins="https://crm.bank.example"))


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_cors_is_closed_by_default(http: httpx.AsyncClient) -> None:
    response = await http.options("/graphql", headers=preflight("https://crm.bank.example"))
    answer = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )

    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_a_preflight_from_a_listed_origin_is_allowed(cors_app: Any) -> None:
    async with http_client(cors_app) as http:
        response = await http.options("/graphql", headers=preflight("https://crm.bank.example"))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://crm.bank.example"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_a_preflight_from_an_unlisted_origin_gets_no_allow_origin(cors_app: Any) -> None:
    async with http_client(cors_app) as http:
        response = await http.options("/graphql", headers=preflight("https://evil.example"))

    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_may_read_the_answer(cors_app: Any) -> None:
    async with http_client(cors_app) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://crm.bank.example"},
        )

    assert response.headers["access-control-allow-origin"] == "https://crm.bank.example"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/graphql", {"query": "{ __typename }"}, 200),
        ("GET", "/healthz", None, 200),
        ("POST", "/graphql", {"variables": {}}, 400),
        ("GET", "/nowhere", None, 404),
        ("PUT", "/graphql", {"query": "{ __typename }"}, 405),
    ],
)
async def test_every_response_carries_the_security_headers(
    http: httpx.AsyncClient, method: str, path: str, body: Any, status: int
) -> None:
    response = await http.request(method, path, json=body)

    assert response.status_code == status
    assert_security_headers(response)


async def test_refusals_carry_the_security_headers(make_runtime: RuntimeFactory) -> None:
    app = create_app(make_runtime(max_body_bytes=10, requests_per_address=1))

    async with http_client(app) as http:
        too_large = await http.post("/graphql", json={"query": "{ __typename }"})
        too_many = await http.post("/graphql", json={"query": "{ __typename }"})

    assert [too_large.status_code, too_many.status_code] == [413, 429]
    assert_security_headers(too_large)
    assert_security_headers(too_many)


async def test_a_crash_carries_the_security_headers(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(core.app, "bearer_token", crash)

    response = await http.post("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 500
    assert_security_headers(response)


async def test_hsts_and_a_closed_csp_in_production(make_runtime: RuntimeFactory) -> None:
    app = create_app(make_runtime(env="production", secret_key=secrets.token_urlsafe(36)))

    async with http_client(app) as http:
        response = await http.get("/healthz")

    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_development_has_no_hsts_and_a_csp_graphiql_works_under(
    client: GraphQLClient,
) -> None:
    response = await client.http.get("/graphql", headers={"Accept": "text/html"})

    assert "strict-transport-security" not in response.headers
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline' https://unpkg.com" in policy
    assert "style-src 'self' 'unsafe-inline' https://unpkg.com" in policy
    assert "connect-src 'self'" in policy
    assert "https://unpkg.com/graphiql" in response.text


@pytest.mark.parametrize(
    ("setting", "value"),
    [("trusted_proxies", "10.0.0.0/8, proxy.internal"), ("cors_origins", "crm.bank.example")],
)
def test_an_unusable_list_setting_stops_the_process_with_its_name(setting: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"CRM_{setting.upper()}"):
        load_settings(**{setting: value})


def test_list_settings_are_read_comma_separated(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("CRM_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    clean_environment.setenv("CRM_CORS_ORIGINS", "https://crm.bank.example, http://localhost:5173/")

    settings = load_settings()

    assert [str(network) for network in settings.trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]
    assert settings.cors_origins == ("https://crm.bank.example", "http://localhost:5173")
