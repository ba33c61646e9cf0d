"""createBranch: an administrator opens branches; a refusal names the field and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.security.models import Branch
from tests.conftest import GraphQLClient
from tests.plugins.security.conftest import CREATE_BRANCH, count_rows


async def create_branch(caller: GraphQLClient, code: str, name: str = "北京分行") -> dict[str, Any]:
    body = await caller.data(CREATE_BRANCH, {"code": code, "name": name})
    return body["createBranch"]


def failures(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def test_an_admin_opens_a_branch(admin, runtime):
    payload = await create_branch(admin, "BJ-001", "北京分行营业部")

    assert payload["errors"] == []
    assert payload["branch"]["code"] == "BJ-001"
    assert payload["branch"]["name"] == "北京分行营业部"
    assert payload["branch"]["id"]
    assert await count_rows(runtime, Branch) == 1


async def test_the_branch_code_is_trimmed_and_upper_cased(admin):
    payload = await create_branch(admin, "  sh-001 ")

    assert payload["branch"]["code"] == "SH-001"


@pytest.mark.parametrize("code", ["BJ", "B" * 32, "0-1", "GZ-TIANHE-01"])
async def test_codes_of_two_to_32_letters_digits_and_hyphens_are_accepted(admin, code):
    payload = await create_branch(admin, code)

    assert payload["errors"] == []


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("", "北京分行", ("REQUIRED", ["input", "code"])),
        ("   ", "北京分行", ("REQUIRED", ["input", "code"])),
        ("B", "北京分行", ("INVALID_BRANCH_CODE", ["input", "code"])),
        ("-BJ", "北京分行", ("INVALID_BRANCH_CODE", ["input", "code"])),
        ("BJ 001", "北京分行", ("INVALID_BRANCH_CODE", ["input", "code"])),
        ("BJ_001", "北京分行", ("INVALID_BRANCH_CODE", ["input", "code"])),
        ("北京", "北京分行", ("INVALID_BRANCH_CODE", ["input", "code"])),
        ("B" * 33, "北京分行", ("TOO_LONG", ["input", "code"])),
        ("BJ-001", "", ("REQUIRED", ["input", "name"])),
        ("BJ-001", " \t", ("REQUIRED", ["input", "name"])),
        ("BJ-001", "分" * 101, ("TOO_LONG", ["input", "name"])),
    ],
)
async def test_a_refused_branch_names_its_fault_and_is_not_written(
    admin, runtime, code, name, expected
):
    payload = await create_branch(admin, code, name)

    assert payload["branch"] is None
    assert failures(payload) == [expected]
    assert payload["errors"][0]["message"]
    assert await count_rows(runtime, Branch) == 0


async def test_a_name_of_100_characters_is_accepted(admin):
    payload = await create_branch(admin, "BJ-001", "分" * 100)

    assert payload["errors"] == []


async def test_a_code_already_taken_is_refused_whatever_its_case(admin, staff, runtime):
    await staff.branch("BJ-001")

    payload = await create_branch(admin, " bj-001")

    assert payload["branch"] is None
    assert failures(payload) == [("DUPLICATE_BRANCH", ["input", "code"])]
    assert await count_rows(runtime, Branch) == 1


async def test_a_name_with_a_control_character_is_refused(admin, runtime):
    body = await admin.execute(CREATE_BRANCH, {"code": "BJ-001", "name": "北京\x07分行"})

    assert [error["field"] for error in body["data"]["createBranch"]["errors"]] == [
        ["input", "name"]
    ]
    assert await count_rows(runtime, Branch) == 0
