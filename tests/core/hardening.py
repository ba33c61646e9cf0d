"""Helpers for the hardening tests: a settable clock, callers from chosen
addresses, and a census of every table to prove a refusal wrote nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import SQLModel

from core.db import Mode
from core.runtime import Runtime

LOGIN = (
    "mutation($u: String!, $p: String!) {"
    " login(input: {username: $u, password: $p}) { token errors { code } } }"
)


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def caller(app: Any, address: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 50_000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield http


async def login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}}
    )


async def row_counts(runtime: Runtime) -> dict[str, int]:
    """The number of rows in every table."""
    async with runtime.database.transaction(Mode.READ) as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table)) or 0
            for table in SQLModel.metadata.sorted_tables
        }


def error_code(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return error["extensions"]["code"]
