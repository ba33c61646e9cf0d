"""``/metrics`` for operators: requests, operations and their outcomes in the
Prometheus text format, labelled only with what the server names."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from core.app import create_app
from core.runtime import Runtime
from tests.conftest import GraphQLClient, settings_for


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_operations_and_requests_are_counted_by_what_the_server_names(
    client: GraphQLClient,
):
    before = samples((await client.http.get("/metrics")).text)

    await client.execute("query MyOwnName { me { username } }")
    await client.execute("{ customers { totalCount } }")  # refused: nobody signed in
    await client.http.get("/no-such-page")
    response = await client.http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = samples(response.text)
    gained = {
        key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key)
    }
    ok = (
        "crm_graphql_operations_total",
        frozenset({("operation", "me"), ("type", "query"), ("outcome", "OK")}),
    )
    refused = (
        "crm_graphql_operations_total",
        frozenset({("operation", "customers"), ("type", "query"), ("outcome", "UNAUTHENTICATED")}),
    )
    assert gained[ok] == 1
    assert gained[refused] == 1
    assert value(gained, "crm_http_requests_total", path="other", status="404") == 1
    assert value(gained, "crm_http_requests_total", path="/graphql", status="200") == 2
    assert "MyOwnName" not in response.text, "a caller's names never become labels"


async def test_a_metrics_token_keeps_the_figures_to_those_who_have_it(database_url: str):
    runtime = Runtime.create(
        settings_for(database_url, metrics_token=SecretStr("scrape-me-please"))
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        without = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    await runtime.close()

    assert (without.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    assert "crm_http_requests_total" in right.text
