from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

import core.app
from core.app import create_app
from tests.conftest import GraphQLClient
from tests.core.conftest import UNREACHABLE_DATABASE, RuntimeFactory, http_client

INTROSPECTION = "{ __schema { types { name } } }"


@pytest.fixture
async def production(make_runtime: RuntimeFactory) -> Any:
    return create_app(make_runtime(env="production", secret_key=secrets.token_urlsafe(36)))


async def test_healthz_says_the_process_is_alive(client: GraphQLClient) -> None:
    response = await client.http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_is_ready_on_a_migrated_database(client: GraphQLClient) -> None:
    response = await client.http.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_names_the_branches_whose_migrations_are_pending(
    make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    app = create_app(make_runtime(database_url=f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"))

    async with http_client(app) as http:
        response = await http.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "migrations pending",
        "pending": ["kernel", "security", "customer", "finance", "marketing", "service"],
    }


async def test_readyz_is_unavailable_when_the_database_cannot_be_reached(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(database_url=UNREACHABLE_DATABASE))

    async with http_client(app) as http:
        response = await http.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database"}
    assert "127.0.0.1" not in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/graphql"), ("GET", "/nowhere")],
)
async def test_every_response_carries_a_request_id(
    client: GraphQLClient, method: str, path: str
) -> None:
    response = await client.http.request(method, path, json={"query": "{ __typename }"})

    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


async def test_each_request_gets_its_own_id(client: GraphQLClient) -> None:
    first = await client.http.get("/healthz")
    second = await client.http.get("/healthz")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_request_id_sent_by_the_caller_is_echoed(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "gateway-42"}
    )

    assert response.headers["x-request-id"] == "gateway-42"


@pytest.mark.parametrize("sent", ["x" * 65, "line\tbreak"], ids=["too-long", "unprintable"])
async def test_an_unusable_request_id_is_replaced(client: GraphQLClient, sent: str) -> None:
    response = await client.http.get("/healthz", headers={"X-Request-ID": sent})

    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


async def test_a_response_to_a_crashed_request_still_carries_the_request_id(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(core.app, "bearer_token", crash)

    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "gateway-42"}
    )

    assert response.status_code == 500
    assert response.headers.get("x-request-id") == "gateway-42"


async def test_graphiql_is_served_in_development(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text


async def test_graphiql_is_not_served_in_production(production: Any) -> None:
    async with http_client(production) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert "GraphiQL" not in response.text


async def test_introspection_is_allowed_in_development(client: GraphQLClient) -> None:
    data = await client.data(INTROSPECTION)

    assert "Query" in {t["name"] for t in data["__schema"]["types"]}


async def test_introspection_is_refused_in_production(production: Any) -> None:
    async with http_client(production) as http:
        response = await http.post("/graphql", json={"query": INTROSPECTION})

    body = response.json()
    assert response.status_code == 200
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_production_still_answers_ordinary_queries(production: Any) -> None:
    async with http_client(production) as http:
        response = await http.post("/graphql", json={"query": "{ me { id } }"})

    assert response.json() == {"data": {"me": None}}


async def test_production_errors_do_not_suggest_field_names(production: Any) -> None:
    async with http_client(production) as http:
        response = await http.post("/graphql", json={"query": "{ usr { id } }"})

    assert "errors" in response.json()
    assert "users" not in response.text
