"""Helpers for the kernel's tests: throwaway runtimes and a raw HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from core.runtime import Runtime
from core.settings import load_settings
from tests.conftest import TEST_SECRET

UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/none"

RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``CRM_*`` variable of the calling shell leaks into the settings under test."""
    for name in list(os.environ):
        if name.upper().startswith("CRM_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
async def make_runtime(database_url: str) -> AsyncIterator[RuntimeFactory]:
    """Creates extra runtimes (on the test database unless told otherwise); closes them."""
    created: list[Runtime] = []

    def create(**overrides: Any) -> Runtime:
        options: dict[str, Any] = {"database_url": database_url, "secret_key": TEST_SECRET}
        runtime = Runtime.create(load_settings(**{**options, **overrides}))
        created.append(runtime)
        return runtime

    yield create
    for runtime in created:
        await runtime.close()


@asynccontextmanager
async def http_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that sees what a browser would, 500s included."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield http


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client
