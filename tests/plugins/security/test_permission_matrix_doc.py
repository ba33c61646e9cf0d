"""``docs/permissions.md`` is the permission matrix the built-in plugins make,
regenerated from the code here so that it cannot drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.authorization import Access, Role
from core.plugins import discover
from plugins.security.permission_matrix import permission_matrix, render_markdown
from tests.conftest import ROOT

BUILT_IN = {"security", "customer", "finance", "service", "marketing"}
CRM = Path(sys.executable).with_name("crm")


def test_docs_permissions_md_is_current(runtime):
    assert set(discover()) == BUILT_IN, "the committed matrix is of the built-in plugins only"
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")

    assert committed == render_markdown(permission_matrix(runtime)), (
        "docs/permissions.md is stale: run `crm permissions matrix -o docs/permissions.md`"
    )


def test_every_root_field_and_every_role_is_in_the_matrix(runtime):
    matrix = permission_matrix(runtime)
    document = render_markdown(matrix)

    assert len(matrix.fields) > 0
    for field in matrix.fields:
        assert f"| `{field.operation}.{field.name}` |" in document
    for role in Role:
        assert f" {role.value} |" in document
    for name in runtime.permissions.permissions:
        assert f"| `{name}` |" in document


def test_a_field_open_to_signed_in_users_is_open_to_every_role(runtime):
    matrix = permission_matrix(runtime)

    assert matrix.holders(Access.SIGNED_IN) == frozenset(Role)
    assert matrix.holders("branch.manage") == {Role.ADMIN}


def test_the_command_prints_the_same_document(runtime, tmp_path):
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    environment["CRM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"

    result = subprocess.run(
        [str(CRM), "permissions", "matrix"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == render_markdown(permission_matrix(runtime))
