"""The limits hold over real HTTP, as uvicorn serves the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from core.app import create_app
from core.runtime import Runtime
from core.settings import load_settings
from tests.conftest import TEST_SECRET
from tests.core.test_serve import free_port

TYPENAME = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn in a thread: a 1000-byte body limit, 5 requests a minute."""
    database: Path = tmp_path_factory.mktemp("served") / "crm.db"
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        secret_key=TEST_SECRET,
        max_body_bytes=1000,
        requests_per_address=5,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(Runtime.create(settings)), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_chunked_body_over_the_limit_is_refused(served: str) -> None:
    """Without a Content-Length: counted as it streams (test_hardening.py shows
    that reading stops at the limit; the client here sends on regardless)."""

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "padding": "'
        for _ in range(1000):
            yield b"x" * 100

    response = httpx.post(
        f"{served}/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_flood_is_refused_with_retry_after_and_probes_still_answer(served: str) -> None:
    with httpx.Client(base_url=served) as http:
        answers = [http.post("/graphql", json=TYPENAME) for _ in range(6)]
        probe = http.get("/healthz")
        missing = http.get("/nowhere")

    *served_first, refused = answers  # some of the budget went to the other test
    assert {answer.status_code for answer in served_first} <= {200, 429}
    assert served_first[0].status_code == 200
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert probe.status_code == 200
    assert missing.status_code == 404
    for response in (refused, probe, missing):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
