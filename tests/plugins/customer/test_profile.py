"""Risk assessments, tags and closing a customer."""

from __future__ import annotations

import pytest

from tests.plugins.customer.conftest import global_id as gid
from tests.plugins.customer.people import register

RISK = """mutation($id: ID!, $risk: RiskProfile!, $on: Date) {
  setRiskProfile(input: {customerId: $id, riskProfile: $risk, assessedOn: $on}) {
    customer { riskProfile riskAssessedOn } errors { code field } } }"""
TAG = """mutation($id: ID!, $tags: [String!]!) {
  tagCustomer(input: {customerId: $id, tags: $tags}) { customer { tags } errors { code } } }"""
UNTAG = """mutation($id: ID!, $tags: [String!]!) {
  untagCustomer(input: {customerId: $id, tags: $tags}) { customer { tags } errors { code } } }"""
CLOSE = """mutation($id: ID!, $reason: String!) {
  closeCustomer(input: {customerId: $id, reason: $reason}) {
    customer { status } errors { code field } } }"""
LISTED = "{ customers { totalCount } }"


@pytest.fixture
async def customer_id(runtime, staff):
    await staff.branch("BJ-001")
    return gid("Customer", (await register(runtime, 1)).id)


async def test_a_risk_assessment_is_dated_today_unless_said(admin, customer_id, runtime):
    body = await admin.data(RISK, {"id": customer_id, "risk": "C4"})

    assert body["setRiskProfile"] == {
        "customer": {"riskProfile": "C4", "riskAssessedOn": runtime.settings.today().isoformat()},
        "errors": [],
    }


async def test_an_assessment_in_the_future_is_refused(admin, customer_id):
    body = await admin.data(RISK, {"id": customer_id, "risk": "C2", "on": "2999-01-01"})

    assert body["setRiskProfile"]["errors"] == [
        {"code": "INVALID_DATE", "field": ["input", "assessedOn"]}
    ]


async def test_tags_are_trimmed_kept_once_and_sorted(admin, customer_id):
    await admin.data(TAG, {"id": customer_id, "tags": [" 企业主 ", "高净值"]})
    body = await admin.data(TAG, {"id": customer_id, "tags": ["企业主", "退休"]})

    assert body["tagCustomer"]["customer"]["tags"] == ["企业主", "退休", "高净值"]


async def test_untagging_takes_only_the_named_tags_off(admin, customer_id):
    await admin.data(TAG, {"id": customer_id, "tags": ["企业主", "高净值"]})

    body = await admin.data(UNTAG, {"id": customer_id, "tags": ["企业主"]})

    assert body["untagCustomer"]["customer"]["tags"] == ["高净值"]


async def test_too_many_tags_at_once_are_refused(admin, customer_id):
    body = await admin.data(TAG, {"id": customer_id, "tags": [f"t{i}" for i in range(21)]})

    assert body["tagCustomer"]["errors"] == [{"code": "TOO_MANY_TAGS"}]


async def test_a_closed_customer_is_kept_but_leaves_the_lists(admin, customer_id):
    body = await admin.data(CLOSE, {"id": customer_id, "reason": "客户销户"})

    assert body["closeCustomer"] == {"customer": {"status": "CLOSED"}, "errors": []}
    assert (await admin.data(LISTED))["customers"]["totalCount"] == 0
    closed = await admin.data("{ customers(filter: {status: [CLOSED]}) { totalCount } }")
    assert closed["customers"]["totalCount"] == 1


async def test_closing_needs_a_reason_and_happens_once(admin, customer_id):
    no_reason = await admin.data(CLOSE, {"id": customer_id, "reason": "  "})
    await admin.data(CLOSE, {"id": customer_id, "reason": "客户销户"})
    again = await admin.data(CLOSE, {"id": customer_id, "reason": "客户销户"})

    assert no_reason["closeCustomer"]["errors"] == [
        {"code": "REQUIRED", "field": ["input", "reason"]}
    ]
    assert again["closeCustomer"]["errors"] == [
        {"code": "CUSTOMER_CLOSED", "field": ["input", "customerId"]}
    ]
