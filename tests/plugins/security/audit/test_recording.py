"""What the audit log records of mutations: who, from where, what, about which
objects and with which outcome, with personal data and secrets redacted,
whether the mutation succeeded, was refused or was not allowed."""

from __future__ import annotations

import pytest

from core.audit import REDACTED
from core.runtime import Runtime
from plugins.security import services
from plugins.security.models import Branch
from tests.conftest import GraphQLClient
from tests.plugins.customer.conftest import CREATE_CUSTOMER, Bank, customer_input
from tests.plugins.security.audit.records import audit_records


async def test_a_mutation_is_recorded_with_its_objects_and_redacted_arguments(bank: Bank):
    customer = await bank.register(name="李雷", phone="13900001111")

    [record] = [
        r for r in await audit_records(bank.runtime, "createCustomer") if r.kind == "MUTATION"
    ]

    assert (record.kind, record.outcome) == ("MUTATION", "OK")
    assert (record.username, record.roles) == ("admin", "ADMIN")
    assert record.user_id == bank.user_ids["admin"]
    assert record.branch_id is None
    assert record.objects == [customer["id"]]
    given = record.arguments["input"]
    assert given["name"] == given["id_number"] == given["phone"] == given["email"] == REDACTED
    assert given["branch_code"] == "BJ-001"
    assert record.request_id
    assert record.client_address
    assert "李雷" not in str(record.arguments)
    assert "13900001111" not in str(record.arguments)


async def test_a_refused_mutation_is_recorded_with_its_code_and_changes_nothing(bank: Bank):
    admin = await bank.sign_in("admin")
    body = await admin.data(CREATE_CUSTOMER, {"input": customer_input(idNumber="123")})
    assert [e["code"] for e in body["createCustomer"]["errors"]] == ["INVALID_ID_NUMBER"]

    [record] = await audit_records(bank.runtime, "createCustomer")
    assert (record.outcome, record.objects) == ("INVALID_ID_NUMBER", [])


async def test_a_mutation_the_caller_may_not_make_is_recorded_as_forbidden(bank: Bank):
    auditor = await bank.sign_in("auditor")
    body = await auditor.execute(CREATE_CUSTOMER, {"input": customer_input()})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    [record] = await audit_records(bank.runtime, "createCustomer")
    assert (record.username, record.outcome) == ("auditor", "FORBIDDEN")


async def test_a_failed_sign_in_is_recorded_without_the_password(
    runtime: Runtime, client: GraphQLClient, bank: Bank
):
    body = await client.data(
        'mutation { login(input: {username: "admin", password: "not-the-password-123"})'
        " { token errors { code } } }"
    )
    assert body["login"]["token"] is None

    [record] = await audit_records(runtime, "login")
    assert record.user_id is None
    assert record.outcome == body["login"]["errors"][0]["code"]
    assert record.arguments["input"] == {
        "username": "admin",
        "password": REDACTED,
        "totp_code": None,
    }


async def test_a_mutation_that_fails_unexpectedly_is_recorded_and_writes_nothing_else(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "create_branch", broken)
    admin = await bank.sign_in("admin")

    body = await admin.execute(
        'mutation { createBranch(input: {code: "GZ-001", name: "广州分行"}) { errors { code } } }'
    )

    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "disk" not in str(body)
    [record] = await audit_records(bank.runtime, "createBranch")
    assert (record.username, record.outcome) == ("admin", "INTERNAL_SERVER_ERROR")
    assert await bank.count(Branch) == len(bank.branch_ids)
