"""`crm demo` then `crm serve`, as the README's quick start runs them, answer over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.cli import DEMO_PASSWORD

CRM = str(Path(sys.executable).with_name("crm"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("served") / "crm.db"
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    env.pop("CRM_PLUGINS", None)
    subprocess.run([CRM, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [CRM, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            server.kill()
            pytest.fail(f"crm serve did not start: {server.communicate()[0].decode()}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_signed_in_demo_user_reads_me_over_http(served):
    login = httpx.post(
        f"{served}/graphql",
        json={
            "query": 'mutation($p: String!) { login(input: {username: "admin", password: $p})'
            " { token errors { code } } }",
            "variables": {"p": DEMO_PASSWORD},
        },
    ).json()
    token = login["data"]["login"]["token"]

    me = httpx.post(
        f"{served}/graphql",
        json={"query": "{ me { username roles } }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert me.json() == {"data": {"me": {"username": "admin", "roles": ["ADMIN"]}}}
    assert me.headers["x-request-id"]


def test_graphiql_is_served_for_people_exploring_the_api(served):
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_the_server_is_ready_once_migrated(served):
    assert httpx.get(f"{served}/readyz").json() == {"status": "ready"}
