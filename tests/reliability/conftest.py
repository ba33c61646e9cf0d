"""The reliability scenarios in their bounded form, on the database under test.

``reliability/`` is a folder of scripts (see ``reliability/harness.py``); its
folder goes first on ``sys.path`` so the tests import them as they import each
other. Each test gets a database of its own: a SQLite file, or a fresh
PostgreSQL database on the server of ``CRM_TEST_DATABASE_URL``, dropped after.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

RELIABILITY = Path(__file__).resolve().parents[2] / "reliability"
if str(RELIABILITY) not in sys.path:
    sys.path.insert(0, str(RELIABILITY))


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[str]:
    """Where a scenario builds its bank: a SQLite path, or a PostgreSQL URL."""
    server = os.environ.get("CRM_TEST_DATABASE_URL")
    if not server:
        yield str(tmp_path / "bank.db")
        return
    url = make_url(server).set(database=f"crm_reliability_{secrets.token_hex(4)}")
    yield url.render_as_string(hide_password=False)
    admin = create_async_engine(make_url(server), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await admin.dispose()
