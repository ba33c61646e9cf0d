"""``crm users create``: bootstrap staff from the command line, failing in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.db import Mode
from core.runtime import Runtime
from plugins.security import sign_in
from plugins.security.services import roles_of
from tests.conftest import PASSWORD, TEST_SECRET, settings_for

CRM = Path(sys.executable).with_name("crm")


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"


def crm(tmp_path: Path, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    environment |= {"CRM_DATABASE_URL": database_url(tmp_path), "CRM_SECRET_KEY": TEST_SECRET}
    return subprocess.run(
        [str(CRM), *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def create_admin(tmp_path: Path, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return crm(
        tmp_path,
        "users",
        "create",
        "root",
        "--role",
        "ADMIN",
        "--password-stdin",
        stdin=password + "\n",
    )


async def test_the_created_user_can_sign_in(tmp_path):
    result = create_admin(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created user root (ADMIN)\n"

    runtime = Runtime.create(settings_for(database_url(tmp_path)))
    try:
        async with runtime.database.transaction(Mode.WRITE) as session:
            signed_in = await sign_in.sign_in(session, runtime.settings, "root", PASSWORD)
            roles = await roles_of(session, [signed_in.user.id])
    finally:
        await runtime.close()
    assert signed_in.token
    assert [role.value for role in roles[signed_in.user.id]] == ["ADMIN"]


def test_creating_the_same_username_twice_fails_in_one_line(tmp_path):
    assert create_admin(tmp_path).returncode == 0

    result = create_admin(tmp_path)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "DUPLICATE_USERNAME" in result.stderr
    assert result.stdout == ""


def test_a_weak_password_fails_in_one_line_without_a_trace(tmp_path):
    result = create_admin(tmp_path, password="short")

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "WEAK_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_password_must_come_on_standard_input(tmp_path):
    result = crm(tmp_path, "users", "create", "root", "--role", "ADMIN")

    assert result.returncode == 2
    assert "--password-stdin" in result.stderr
