"""Test fixtures: a migrated database of the kind under test, and a GraphQL client.

By default the suite runs on a fresh SQLite file. With ``CRM_TEST_DATABASE_URL``
set to a PostgreSQL server (``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
it creates a fresh database there, runs every test on it, and drops it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from core import migrations
from core.app import create_app
from core.authorization import Role
from core.db import Mode
from core.reference_data import seed_reference_data
from core.runtime import Runtime
from core.settings import Settings, load_settings
from plugins.security import services

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"


async def _create_postgres_database(server: URL) -> URL:
    name = f"crm_test_{secrets.token_hex(4)}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return server.set(database=name)


async def _drop_postgres_database(server: URL, database: URL) -> None:
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(
            text(f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)')
        )
    await admin.dispose()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, empty database for this test run."""
    server = os.environ.get("CRM_TEST_DATABASE_URL")
    if not server:
        path = tmp_path_factory.mktemp("db") / "crm.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    server_url = make_url(server)
    database = await _create_postgres_database(server_url)
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        await _drop_postgres_database(server_url, database)


UNLIMITED_RATES = {
    "requests_per_address": 10**9,
    "requests_per_user": 10**9,
    "sign_ins_per_address": 10**9,
}
"""The suite signs in thousands of times from one address; the rate limits
have tests of their own (tests/core/test_rate_limits.py)."""


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for the test database, with a test signing key and no rate limits."""
    options = {"database_url": database_url, "secret_key": TEST_SECRET, **UNLIMITED_RATES}
    return load_settings(**{**options, **overrides})


@pytest.fixture(scope="session")
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    """Every installed plugin, on the migrated test database."""
    runtime = Runtime.create(settings_for(database_url))
    await migrations.upgrade(runtime.database, runtime.plugins)
    yield runtime
    await runtime.close()


@pytest.fixture(autouse=True)
async def empty_tables(request: pytest.FixtureRequest) -> None:
    """Each test that touches the database starts from empty tables (but for
    reference data, which a bank always has)."""
    if "runtime" not in request.fixturenames:
        return
    await empty_database(request.getfixturevalue("runtime"))


async def empty_database(runtime: Runtime) -> None:
    """Delete every row, then seed the reference data a bank always has."""
    # Names from the models' own metadata, never from input.
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    async with runtime.database.transaction(Mode.WRITE) as session:
        if runtime.database.is_sqlite:
            for table in tables:
                await session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608
        else:
            names = ", ".join(f'"{table}"' for table in tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await seed_reference_data(runtime.database, runtime.plugins)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Any:
    return create_app(runtime)


@dataclass
class GraphQLClient:
    """Posts GraphQL to the app over ASGI, as a front end would over HTTP."""

    http: httpx.AsyncClient
    token: str | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response's JSON body (``data`` and any ``errors``); HTTP must be 200."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response's ``data``; fails the test if there are GraphQL errors."""
        body = await self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def sign_in(self, username: str, password: str = PASSWORD) -> GraphQLClient:
        body = await self.data(
            "mutation($u: String!, $p: String!) {"
            " login(input: {username: $u, password: $p}) { token errors { code } } }",
            {"u": username, "p": password},
        )
        assert body["login"]["errors"] == [], body
        return GraphQLClient(self.http, token=body["login"]["token"])


@pytest.fixture
async def client(app: Any) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield GraphQLClient(http)


@dataclass
class Staff:
    """Creates branches and staff straight through the services, for test set-up."""

    runtime: Runtime

    async def branch(self, code: str = "BJ-001", name: str = "北京分行") -> int:
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            branch = await services.create_branch(session, code, name)
            return branch.id  # type: ignore[return-value]

    async def user(
        self, username: str, *roles: Role, branch: str | None = None, password: str = PASSWORD
    ) -> int:
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            user = await services.create_user(
                session,
                username=username,
                password=password,
                display_name=username,
                roles=roles,
                branch_code=branch,
            )
            return user.id  # type: ignore[return-value]


@pytest.fixture
def staff(runtime: Runtime) -> Staff:
    return Staff(runtime)


@pytest.fixture
async def admin(client: GraphQLClient, staff: Staff) -> GraphQLClient:
    """A head-office administrator, ``root``, signed in."""
    await staff.user("root", Role.ADMIN)
    return await client.sign_in("root")


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)
    compiled_anew: list[str] = field(default_factory=list)
    """Statements SQLAlchemy compiled instead of taking from its cache (one
    that cannot be cached is compiled on every execution)."""

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()
        self.compiled_anew.clear()


@pytest.fixture
def sql(runtime: Runtime) -> Iterator[StatementCounter]:
    """Counts the SQL statements the application sends while the test runs."""
    counter = StatementCounter()
    engine = runtime.database.engine.sync_engine

    def count(
        _conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            counter.statements.append(statement)
            if context.compiled is not None and context.cache_hit is not CacheStats.CACHE_HIT:
                counter.compiled_anew.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield counter
    event.remove(engine, "before_cursor_execute", count)


ROOT = Path(__file__).resolve().parent.parent
