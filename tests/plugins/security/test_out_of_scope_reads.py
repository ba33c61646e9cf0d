"""An object out of the caller's scope reads exactly like one that does not exist.

As ``sh.manager`` (branch SH-001), BJ-001's customer, account, transaction,
transfer, ticket, campaign, event, lead, referral and reconciliation exception
are fetched through ``node(id:)`` and each type's own root query, and must
answer byte for byte what a made-up id of the same type answers; never
FORBIDDEN. Lists and searches must answer the same before and after BJ-001's
objects exist, and nested fields must not lead across the branch.

One bank serves the whole module (objects are only read after set-up).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from strawberry import relay

from core.columns import utcnow
from core.runtime import Runtime
from tests.conftest import GraphQLClient, Staff, empty_database
from tests.plugins.customer.conftest import (  # noqa: F401  (fixtures, shared)
    BJ,
    HEAD_OFFICE,
    IN_EACH_BRANCH,
    SH,
    Bank,
    password_hash,
)
from tests.plugins.finance.conftest import Books
from tests.plugins.security.root_calls import MISSING_ID
from tests.plugins.service.conftest import Desk

VIEWER = "sh.manager"
DAY = date(2026, 3, 2)
BEIJING_NAME = "北京客户甲"

SELECTIONS = {
    "Customer": "id customerNo name idNumber branch { code }",
    "Account": "id accountNo balance { amount }",
    "Transaction": "id kind amount { amount }",
    "Transfer": "id amount { amount } fromAccount { id } toAccount { id }",
    "Ticket": "id ticketNo subject customer { id }",
    "Campaign": "id name status memberCount",
    "Event": "id name invitedCount",
    "Lead": "id name stage",
    "Referral": "id team status customer { id }",
    "ReconciliationException": "id kind amount { amount } customer { id }",
}
ROOT_QUERY = {
    "Customer": "customer",
    "Account": "account",
    "Ticket": "ticket",
    "Campaign": "campaign",
    "Event": "event",
    "Lead": "lead",
    "Referral": "referral",
}
"""The types with a root query by id of their own."""

LISTS = {
    "customers": "{ customers(first: 50) { totalCount edges { node { id } } } }",
    "customers search": (
        f'{{ customers(filter: {{search: "{BEIJING_NAME}"}}) '
        "{ totalCount edges { node { id } } } }"
    ),
    "tickets": "{ tickets(first: 50) { totalCount edges { node { id } } } }",
    "campaigns": "{ campaigns(first: 50) { totalCount edges { node { id } } } }",
    "events": "{ events(first: 50) { totalCount edges { node { id } } } }",
    "leads": "{ leads(first: 50) { totalCount edges { node { id } } } }",
    "lead pipeline": "{ leadPipeline { stage count expectedAmount { amount } } }",
    "referrals": "{ referrals(first: 50) { totalCount edges { node { id } } } }",
    "reconciliation exceptions": (
        "{ reconciliationExceptions(first: 50) { totalCount edges { node { id } } } }"
    ),
}


@dataclass
class Branches:
    """The bank, BJ-001's objects by type (global IDs), SH-001's, and what the
    viewer's lists answered before and after BJ-001's objects were made."""

    bank: Bank
    books: Books
    beijing: dict[str, str] = field(default_factory=dict)
    shanghai: dict[str, str] = field(default_factory=dict)
    lists_before: dict[str, Any] = field(default_factory=dict)
    lists_after: dict[str, Any] = field(default_factory=dict)

    async def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        viewer = await self.bank.sign_in(VIEWER)
        return await viewer.execute(query, variables)

    async def make(self, by: str, mutation: str, input: dict[str, Any], pick: str) -> str:
        """Run ``mutation(input:)`` as ``by``; the global ID of the payload's ``pick``."""
        caller = await self.bank.sign_in(by)
        body = await caller.data(
            f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) {{"
            f" {mutation}(input: $input) {{ {pick} {{ id }} errors {{ code }} }} }}",
            {"input": input},
        )
        payload = body[mutation]
        assert payload["errors"] == [], (mutation, payload["errors"])
        return payload[pick]["id"]


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """The reads share one bank, set up once for the module by ``branches``."""


async def _open_bank(runtime: Runtime, client: GraphQLClient, hashed: str) -> Bank:
    """The customer tests' ``bank``: BJ-001 and SH-001 with their staff, and head office."""
    bank = Bank(runtime, client, hashed)
    staff = Staff(runtime)
    for code, name in ((BJ, "北京分行"), (SH, "上海分行")):
        bank.branch_ids[code] = await staff.branch(code, name)
    for username, role in HEAD_OFFICE.items():
        await bank.add_staff(username, role)
    for code in (BJ, SH):
        for job, role in IN_EACH_BRANCH.items():
            await bank.add_staff(f"{code[:2].lower()}.{job}", role, branch=code)
    return bank


async def _objects_of(branches: Branches, code: str, name: str) -> dict[str, str]:
    """A customer of branch ``code`` and one of each object about it."""
    prefix = code[:2].lower()
    bank, books = branches.bank, branches.books
    desk = Desk(bank, bank.runtime)
    customer = await bank.register(name=name, branchCode=code)
    account = await books.open(customer)
    deposit = await books.deposit(account, "60000.00")
    assert deposit["errors"] == [], deposit["errors"]
    ticket = await desk.open(customer, by=f"{prefix}.agent")
    manager = f"{prefix}.manager"
    starts_at = (utcnow() + timedelta(days=30)).isoformat()
    return {
        "Customer": customer["id"],
        "Account": account["id"],
        "Transaction": deposit["transaction"]["id"],
        "Ticket": ticket["id"],
        "Campaign": await branches.make(
            manager, "createCampaign", {"name": f"{name}活动", "channel": "SMS"}, "campaign"
        ),
        "Event": await branches.make(
            manager,
            "planEvent",
            {
                "name": f"{name}讲座",
                "kind": "WEALTH_SEMINAR",
                "startsAt": starts_at,
                "venue": "分行三楼",
                "capacity": 30,
            },
            "event",
        ),
        "Lead": await branches.make(
            manager, "createLead", {"name": f"{name}的朋友", "source": "WALK_IN"}, "lead"
        ),
        "Referral": await branches.make(
            manager,
            "referCustomer",
            {"customerId": customer["id"], "team": "WEALTH_ADVISORY", "reason": "大额理财"},
            "referral",
        ),
    }


@pytest.fixture(scope="module")
async def branches(
    runtime: Runtime,
    app: Any,
    password_hash: str,  # noqa: F811  (the imported fixture)
) -> AsyncIterator[Branches]:
    await empty_database(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        bank = await _open_bank(runtime, GraphQLClient(http), password_hash)
        books = Books(bank, runtime)
        await books.open_business_date(DAY)
        found = Branches(bank, books)
        found.shanghai = await _objects_of(found, SH, "上海客户乙")
        await books.close_days(DAY + timedelta(days=1))  # finds Shanghai's large deposit
        for name, query in LISTS.items():
            found.lists_before[name] = await found.ask(query)
        found.beijing = await _objects_of(found, BJ, BEIJING_NAME)
        transfer = await books.transfer(
            {"id": found.shanghai["Account"]}, {"id": found.beijing["Account"]}, "1.00"
        )
        assert transfer["errors"] == [], transfer["errors"]
        found.beijing["Transfer"] = transfer["transfer"]["id"]
        await books.close_days(DAY + timedelta(days=2))  # and Beijing's
        found.beijing["ReconciliationException"] = await _exception_about(
            bank, found.beijing["Customer"]
        )
        for name, query in LISTS.items():
            found.lists_after[name] = await found.ask(query)
        await _cross_branch_links(found)
        yield found
    await empty_database(runtime)


async def _cross_branch_links(branches: Branches) -> None:
    """Head office ties Shanghai's objects to Beijing's: a family link between the
    two customers, a Shanghai lead referred by the Beijing customer, and a
    head-office event both customers are invited to."""
    shanghai, beijing = branches.shanghai, branches.beijing
    await branches.make(
        "admin",
        "linkCustomers",
        {
            "customerId": shanghai["Customer"],
            "relatedCustomerId": beijing["Customer"],
            "kind": "SPOUSE",
        },
        "customer",
    )
    shanghai["referred Lead"] = await branches.make(
        "admin",
        "createLead",
        {
            "name": "北京客户介绍的朋友",
            "source": "REFERRAL",
            "referredByCustomerId": beijing["Customer"],
            "ownerId": branches.bank.user(VIEWER),
        },
        "lead",
    )
    starts_at = (utcnow() + timedelta(days=40)).isoformat()
    event = await branches.make(
        "marketing",
        "planEvent",
        {
            "name": "总行私享会",
            "kind": "WEALTH_SEMINAR",
            "startsAt": starts_at,
            "venue": "总行大厦",
            "capacity": 50,
        },
        "event",
    )
    await branches.make(
        "marketing",
        "inviteToEvent",
        {"eventId": event, "customerIds": [shanghai["Customer"], beijing["Customer"]]},
        "event",
    )
    shanghai["head-office Event"] = event


async def _exception_about(bank: Bank, customer_id: str) -> str:
    admin = await bank.sign_in("admin")
    body = await admin.data(
        "{ reconciliationExceptions(first: 50) { edges { node { id customer { id } } } } }"
    )
    found = [
        edge["node"]["id"]
        for edge in body["reconciliationExceptions"]["edges"]
        if (edge["node"]["customer"] or {}).get("id") == customer_id
    ]
    assert found, "the end of day found no exception about the Beijing customer"
    return found[0]


def missing(type_name: str) -> str:
    return str(relay.GlobalID(type_name, MISSING_ID))


def node_query(type_name: str) -> str:
    fragment = f"... on {type_name} {{ {SELECTIONS[type_name]} }}"
    return f"query($id: ID!) {{ node(id: $id) {{ __typename {fragment} }} }}"


def root_query(type_name: str) -> str:
    return f"query($id: ID!) {{ {ROOT_QUERY[type_name]}(id: $id) {{ {SELECTIONS[type_name]} }} }}"


def same_text(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


BY_ID = [
    *(pytest.param(t, node_query, id=f"node-{t}") for t in SELECTIONS),
    *(pytest.param(t, root_query, id=f"{ROOT_QUERY[t]}-{t}") for t in ROOT_QUERY),
]


@pytest.mark.parametrize(("type_name", "query_of"), BY_ID)
async def test_an_object_of_another_branch_reads_as_missing_by_id(
    branches: Branches, type_name: str, query_of: Any
):
    query = query_of(type_name)

    out_of_scope = await branches.ask(query, {"id": branches.beijing[type_name]})
    nonexistent = await branches.ask(query, {"id": missing(type_name)})

    assert same_text(out_of_scope) == same_text(nonexistent)
    assert "errors" not in out_of_scope, out_of_scope


@pytest.mark.parametrize("type_name", SELECTIONS)
async def test_head_office_finds_each_beijing_object_so_the_comparison_means_something(
    branches: Branches, type_name: str
):
    admin = await branches.bank.sign_in("admin")

    body = await admin.data(node_query(type_name), {"id": branches.beijing[type_name]})

    assert body["node"]["id"] == branches.beijing[type_name]


@pytest.mark.parametrize("name", LISTS)
async def test_lists_and_searches_answer_as_if_the_other_branchs_objects_did_not_exist(
    branches: Branches, name: str
):
    before, after = branches.lists_before[name], branches.lists_after[name]

    assert same_text(after) == same_text(before)
    assert "errors" not in after, after
    if name != "customers search":
        assert '"id"' in same_text(after) or "count" in same_text(after), "nothing to compare"


async def test_a_search_for_another_branchs_customer_answers_as_for_nobody(branches: Branches):
    query = """query($q: String!) {
      customers(filter: {search: $q}) { totalCount edges { node { id } } } }"""

    beijing = await branches.ask(query, {"q": BEIJING_NAME})
    nobody = await branches.ask(query, {"q": "查无此人"})

    assert same_text(beijing) == same_text(nobody)


async def test_a_transfer_to_another_branch_shows_no_counterparty(branches: Branches):
    query = """query($id: ID!) { account(id: $id) {
      transactions(first: 20) { edges { node { id kind memo } } } } }"""

    body = await branches.ask(query, {"id": branches.shanghai["Account"]})

    assert "errors" not in body, body
    text = same_text(body)
    assert branches.beijing["Account"] not in text
    assert branches.beijing["Transfer"] not in text


NESTED = {
    "a customer's family links and household": (
        "Customer",
        """query($id: ID!) { customer(id: $id) {
          relationships { kind customer { id } } household { members { id } } } }""",
    ),
    "a lead's referring customer": (
        "referred Lead",
        "query($id: ID!) { lead(id: $id) { referredBy { id } customer { id } } }",
    ),
    "a head-office event's invitations": (
        "head-office Event",
        """query($id: ID!) { event(id: $id) {
          invitations(first: 50) { edges { node { customer { id } } } } } }""",
    ),
}


@pytest.mark.parametrize("path", NESTED)
async def test_nested_fields_do_not_lead_to_another_branchs_customer(branches: Branches, path: str):
    start, query = NESTED[path]

    body = await branches.ask(query, {"id": branches.shanghai[start]})

    assert "errors" not in body, body
    assert next(iter(body["data"].values())) is not None, body
    assert branches.beijing["Customer"] not in same_text(body)
