"""Links between customers: stored once, read from both sides, refused when they make
no sense, and shown only as far as the viewer's scope reaches."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from core.db import Mode
from core.errors import BusinessError
from plugins.customer.models import Customer, CustomerStatus, Relationship, RelationshipKind
from plugins.customer.relationships import INVERSE, link_customers
from tests.plugins.customer.conftest import SH, Bank, credit_code, error_codes, global_id

LINK = """
mutation($input: LinkCustomersInput!) {
  linkCustomers(input: $input) {
    customer { name relationships { kind customer { name } } }
    errors { field message code }
  }
}
"""
UNLINK = """
mutation($input: UnlinkCustomersInput!) {
  unlinkCustomers(input: $input) {
    customer { name relationships { kind customer { name } } }
    errors { field message code }
  }
}
"""
RELATIONSHIPS = """
query($id: ID!) {
  customer(id: $id) { relationships { id kind since customer { id name } } }
}
"""

_companies = itertools.count(1)


async def person(bank: Bank, name: str, **changes: Any) -> dict[str, Any]:
    return await bank.register(name=name, **changes)


async def company(bank: Bank, name: str, **changes: Any) -> dict[str, Any]:
    return await bank.register(
        kind="CORPORATE", name=name, idNumber=credit_code(next(_companies)), **changes
    )


async def link(
    bank: Bank, customer: dict[str, Any], related: dict[str, Any], kind: str, by: str = "admin"
) -> dict[str, Any]:
    """Link as ``by``; the payload."""
    caller = await bank.sign_in(by)
    body = await caller.data(
        LINK,
        {"input": {"customerId": customer["id"], "relatedCustomerId": related["id"], "kind": kind}},
    )
    return body["linkCustomers"]


async def relationships(
    bank: Bank, customer: dict[str, Any], by: str = "admin"
) -> list[dict[str, Any]]:
    caller = await bank.sign_in(by)
    body = await caller.data(RELATIONSHIPS, {"id": customer["id"]})
    return body["customer"]["relationships"]


def kinds_and_names(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["kind"], r["customer"]["name"]) for r in found]


async def test_a_link_is_read_from_both_sides_with_the_inverse_kind(bank):
    son = await person(bank, "王小明")
    father = await person(bank, "王大明")

    payload = await link(bank, son, father, "PARENT")

    assert payload["errors"] == []
    assert payload["customer"] == {
        "name": "王小明",
        "relationships": [{"kind": "PARENT", "customer": {"name": "王大明"}}],
    }
    from_son = await relationships(bank, son)
    from_father = await relationships(bank, father)
    assert kinds_and_names(from_son) == [("PARENT", "王大明")]
    assert kinds_and_names(from_father) == [("CHILD", "王小明")]
    assert from_son[0]["id"] == from_father[0]["id"]
    assert from_son[0]["since"] == from_father[0]["since"]
    assert await bank.count(Relationship) == 1


VALID_LINKS = [
    # kind, the customer's kind, the related customer's kind
    ("SPOUSE", "INDIVIDUAL", "INDIVIDUAL"),
    ("PARENT", "INDIVIDUAL", "INDIVIDUAL"),
    ("CHILD", "INDIVIDUAL", "INDIVIDUAL"),
    ("LEGAL_REPRESENTATIVE", "CORPORATE", "INDIVIDUAL"),
    ("REPRESENTED_COMPANY", "INDIVIDUAL", "CORPORATE"),
    ("EMPLOYEE", "CORPORATE", "INDIVIDUAL"),
    ("EMPLOYER", "INDIVIDUAL", "CORPORATE"),
    ("SHAREHOLDER", "CORPORATE", "INDIVIDUAL"),
    ("SHAREHOLDER", "CORPORATE", "CORPORATE"),
    ("INVESTEE", "INDIVIDUAL", "CORPORATE"),
    ("INVESTEE", "CORPORATE", "CORPORATE"),
    ("GUARANTOR", "INDIVIDUAL", "INDIVIDUAL"),
    ("GUARANTOR", "CORPORATE", "INDIVIDUAL"),
    ("GUARANTOR", "INDIVIDUAL", "CORPORATE"),
    ("GUARANTEED_PARTY", "CORPORATE", "CORPORATE"),
]


@pytest.mark.parametrize(("kind", "customer_kind", "related_kind"), VALID_LINKS)
async def test_every_kind_reads_as_its_inverse_from_the_other_side(
    bank, kind, customer_kind, related_kind
):
    make = {"INDIVIDUAL": person, "CORPORATE": company}
    customer = await make[customer_kind](bank, "甲方")
    related = await make[related_kind](bank, "乙方")

    payload = await link(bank, customer, related, kind)

    assert payload["errors"] == []
    assert kinds_and_names(await relationships(bank, customer)) == [(kind, "乙方")]
    inverse = INVERSE[RelationshipKind(kind)].value
    assert kinds_and_names(await relationships(bank, related)) == [(inverse, "甲方")]


def test_every_kind_has_an_inverse_whose_inverse_is_itself():
    assert set(INVERSE) == set(RelationshipKind)
    assert all(INVERSE[INVERSE[kind]] is kind for kind in RelationshipKind)


INVALID_LINKS = [
    ("SPOUSE", "INDIVIDUAL", "CORPORATE"),
    ("SPOUSE", "CORPORATE", "CORPORATE"),
    ("PARENT", "CORPORATE", "INDIVIDUAL"),
    ("CHILD", "INDIVIDUAL", "CORPORATE"),
    ("LEGAL_REPRESENTATIVE", "CORPORATE", "CORPORATE"),
    ("LEGAL_REPRESENTATIVE", "INDIVIDUAL", "INDIVIDUAL"),
    ("REPRESENTED_COMPANY", "CORPORATE", "CORPORATE"),
    ("EMPLOYEE", "INDIVIDUAL", "INDIVIDUAL"),
    ("EMPLOYEE", "CORPORATE", "CORPORATE"),
    ("EMPLOYER", "INDIVIDUAL", "INDIVIDUAL"),
    ("SHAREHOLDER", "INDIVIDUAL", "INDIVIDUAL"),
    ("INVESTEE", "CORPORATE", "INDIVIDUAL"),
]


@pytest.mark.parametrize(("kind", "customer_kind", "related_kind"), INVALID_LINKS)
async def test_a_kind_that_does_not_fit_the_two_customers_is_refused(
    bank, kind, customer_kind, related_kind
):
    make = {"INDIVIDUAL": person, "CORPORATE": company}
    customer = await make[customer_kind](bank, "甲方")
    related = await make[related_kind](bank, "乙方")

    payload = await link(bank, customer, related, kind)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_RELATIONSHIP", ["input", "kind"])
    ]
    assert "乙方 cannot be 甲方's" in payload["errors"][0]["message"]
    assert payload["customer"] is None
    assert await bank.count(Relationship) == 0


async def test_a_customer_cannot_be_linked_with_themself(bank):
    alone = await person(bank, "孤独")

    payload = await link(bank, alone, alone, "GUARANTOR")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("SAME_CUSTOMER", ["input", "relatedCustomerId"])
    ]
    assert await bank.count(Relationship) == 0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a", "b", "SPOUSE"), ("a", "b", "SPOUSE")),
        (("a", "b", "SPOUSE"), ("a", "b", "GUARANTOR")),
        (("a", "b", "PARENT"), ("b", "a", "CHILD")),
        (("a", "b", "SPOUSE"), ("b", "a", "GUARANTOR")),
    ],
    ids=["again", "another-kind", "the-inverse", "the-other-way"],
)
async def test_a_pair_has_one_link_at_most_whichever_way_it_was_made(bank, first, second):
    people = {"a": await person(bank, "甲"), "b": await person(bank, "乙")}
    assert (await link(bank, people[first[0]], people[first[1]], first[2]))["errors"] == []

    payload = await link(bank, people[second[0]], people[second[1]], second[2])

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("DUPLICATE_RELATIONSHIP", ["input", "relatedCustomerId"])
    ]
    assert await bank.count(Relationship) == 1
    assert kinds_and_names(await relationships(bank, people["a"])) == [(first[2], "乙")]


@pytest.mark.parametrize(("closed", "field"), [(0, "customerId"), (1, "relatedCustomerId")])
async def test_a_closed_customer_cannot_be_linked(bank, closed, field):
    pair = [await person(bank, "甲"), await person(bank, "乙")]
    await bank.change(pair[closed], status=CustomerStatus.CLOSED)

    payload = await link(bank, pair[0], pair[1], "SPOUSE")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("CUSTOMER_CLOSED", ["input", field])
    ]
    assert await bank.count(Relationship) == 0


async def test_both_customers_must_be_in_the_callers_scope(bank):
    in_beijing = await person(bank, "北京客户")
    in_shanghai = await person(bank, "上海客户", branchCode=SH)

    payloads = [
        await link(bank, in_beijing, in_shanghai, "SPOUSE", by="bj.manager"),
        await link(bank, in_shanghai, in_beijing, "SPOUSE", by="bj.manager"),
    ]

    assert [[(e["code"], e["field"]) for e in p["errors"]] for p in payloads] == [
        [("NOT_FOUND", ["input", "relatedCustomerId"])],
        [("NOT_FOUND", ["input", "customerId"])],
    ]
    assert await bank.count(Relationship) == 0


async def test_linking_needs_permission_to_change_customers(bank):
    a, b = await person(bank, "甲"), await person(bank, "乙")
    teller = await bank.sign_in("bj.teller")

    body = await teller.execute(
        LINK, {"input": {"customerId": a["id"], "relatedCustomerId": b["id"], "kind": "SPOUSE"}}
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Relationship) == 0


async def test_a_related_customer_out_of_scope_is_left_out(bank):
    husband = await person(bank, "北京丈夫")
    wife = await person(bank, "上海妻子", branchCode=SH)
    employer = await company(bank, "北京公司")
    await link(bank, husband, wife, "SPOUSE")
    await link(bank, husband, employer, "EMPLOYER")

    assert kinds_and_names(await relationships(bank, husband, by="bj.manager")) == [
        ("EMPLOYER", "北京公司")
    ]
    assert kinds_and_names(await relationships(bank, husband, by="admin")) == [
        ("SPOUSE", "上海妻子"),
        ("EMPLOYER", "北京公司"),
    ]


async def test_unlinking_removes_the_link_from_both_sides(bank):
    a, b = await person(bank, "甲"), await person(bank, "乙")
    await link(bank, a, b, "SPOUSE")
    [relationship] = await relationships(bank, a)
    admin = await bank.sign_in("admin")

    body = await admin.data(UNLINK, {"input": {"relationshipId": relationship["id"]}})

    assert body["unlinkCustomers"] == {
        "customer": {"name": "甲", "relationships": []},
        "errors": [],
    }
    assert await relationships(bank, b) == []
    assert await bank.count(Relationship) == 0
    again = await admin.data(UNLINK, {"input": {"relationshipId": relationship["id"]}})
    assert [e["code"] for e in again["unlinkCustomers"]["errors"]] == ["NOT_FOUND"]


async def test_a_link_can_be_unlinked_once_a_customer_is_closed(bank):
    a, b = await person(bank, "甲"), await person(bank, "乙")
    await link(bank, a, b, "SPOUSE")
    [relationship] = await relationships(bank, a)
    await bank.change(b, status=CustomerStatus.CLOSED)
    admin = await bank.sign_in("admin")

    body = await admin.data(UNLINK, {"input": {"relationshipId": relationship["id"]}})

    assert body["unlinkCustomers"]["errors"] == []
    assert await bank.count(Relationship) == 0


@pytest.mark.parametrize(
    "relationship_id", [global_id("Customer", 1), global_id("CustomerRelationship", "x")]
)
async def test_unlinking_something_that_is_no_link_is_not_found(bank, relationship_id):
    a, b = await person(bank, "甲"), await person(bank, "乙")
    await link(bank, a, b, "SPOUSE")
    admin = await bank.sign_in("admin")

    body = await admin.data(UNLINK, {"input": {"relationshipId": relationship_id}})

    assert [(e["code"], e["field"]) for e in body["unlinkCustomers"]["errors"]] == [
        ("NOT_FOUND", ["input", "relationshipId"])
    ]
    assert await bank.count(Relationship) == 1


async def test_a_link_with_a_customer_out_of_scope_cannot_be_unlinked(bank):
    in_beijing = await person(bank, "北京客户")
    in_shanghai = await person(bank, "上海客户", branchCode=SH)
    await link(bank, in_beijing, in_shanghai, "GUARANTOR")
    [relationship] = await relationships(bank, in_beijing)
    manager = await bank.sign_in("bj.manager")

    body = await manager.data(UNLINK, {"input": {"relationshipId": relationship["id"]}})

    assert [(e["code"], e["field"]) for e in body["unlinkCustomers"]["errors"]] == [
        ("NOT_FOUND", ["input", "relationshipId"])
    ]
    assert await bank.count(Relationship) == 1


async def test_two_requests_linking_a_pair_opposite_ways_make_one_link(bank, runtime):
    """Each request's duplicate check runs after it has locked both customers, so the
    second waits for the first and then sees its link."""
    a_id = await bank.customer_id(await person(bank, "甲"))
    b_id = await bank.customer_id(await person(bank, "乙"))

    async def attempt(customer_id: int, related_id: int) -> str:
        try:
            async with runtime.database.transaction(Mode.WRITE) as session:
                customer = await session.get(Customer, customer_id)
                related = await session.get(Customer, related_id)
                await link_customers(session, customer, related, RelationshipKind.SPOUSE)
                await asyncio.sleep(0.2)  # still in the transaction: the other one must wait
            return "LINKED"
        except BusinessError as error:
            return error.code

    results = await asyncio.gather(attempt(a_id, b_id), attempt(b_id, a_id))

    assert sorted(results) == ["DUPLICATE_RELATIONSHIP", "LINKED"]
    assert await bank.count(Relationship) == 1
