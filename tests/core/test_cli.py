from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.core.conftest import UNREACHABLE_DATABASE

CRM = Path(sys.executable).with_name("crm")


def crm(
    *args: str, cwd: Path, database_url: str | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run the ``crm`` command as an operator would, with only the given CRM_ variables."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    env["CRM_DATABASE_URL"] = database_url or f"sqlite+aiosqlite:///{cwd / 'crm.db'}"
    env.update(variables)
    return subprocess.run(
        [str(CRM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_plugins_lists_security_as_enabled_with_its_version(tmp_path: Path) -> None:
    result = crm("plugins", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "security" in line)
    assert version("bank-crm") in row
    assert "yes" in row


def test_schema_export_prints_the_sdl(tmp_path: Path) -> None:
    result = crm("schema", "export", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "type Query" in result.stdout
    assert "type Mutation" in result.stdout
    assert not (tmp_path / "crm.db").exists()


def test_schema_export_writes_a_file_when_asked(tmp_path: Path) -> None:
    result = crm("schema", "export", "--output", "schema.graphql", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "type Query" in (tmp_path / "schema.graphql").read_text(encoding="utf-8")


def test_demo_seeds_an_upgraded_database_once(tmp_path: Path) -> None:
    upgraded = crm("db", "upgrade", cwd=tmp_path)
    seeded = crm("demo", cwd=tmp_path)
    again = crm("demo", cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert "database is current for: security" in upgraded.stdout
    assert seeded.returncode == 0, seeded.stderr
    assert "demo data ready" in seeded.stdout
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"CRM_DATABASE_URL": "mysql://x"}, "CRM_DATABASE_URL"),
        ({"CRM_DATABASE_URL": UNREACHABLE_DATABASE}, "CRM_DATABASE_URL"),
        ({"CRM_PLUGINS": "nosuch"}, "CRM_PLUGINS"),
        ({"CRM_ENV": "production"}, "CRM_SECRET_KEY"),
        ({"CRM_TIMEZONE": "Mars/Olympus"}, "CRM_TIMEZONE"),
        ({"CRM_MAX_PAGE_SIZE": "lots"}, "CRM_MAX_PAGE_SIZE"),
    ],
    ids=["mysql", "unreachable", "unknown-plugin", "production-no-secret", "timezone", "page"],
)
def test_a_configuration_problem_ends_with_one_line_and_status_2(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    result = crm("db", "upgrade", cwd=tmp_path, **variables)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert named in result.stderr
    assert result.stdout == ""


@pytest.fixture
async def empty_postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database no migration has run on, dropped afterwards."""
    server = os.environ.get("CRM_TEST_DATABASE_URL")
    if not server:
        pytest.skip("set CRM_TEST_DATABASE_URL to test against PostgreSQL")
    server_url = make_url(server)
    name = f"crm_cli_{secrets.token_hex(4)}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def test_serve_refuses_a_postgresql_database_with_migrations_pending(
    tmp_path: Path, empty_postgres_database: str
) -> None:
    result = crm("serve", "--port", "1", cwd=tmp_path, database_url=empty_postgres_database)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "crm db upgrade" in result.stderr
    assert "security" in result.stderr
