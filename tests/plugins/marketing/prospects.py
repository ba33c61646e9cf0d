"""Shared helpers for the tests of leads, their conversion and referrals: the
GraphQL they send, and leads brought to a stage through the API."""

from __future__ import annotations

from typing import Any

from strawberry import relay

from tests.plugins.customer.conftest import Bank

LEAD_FIELDS = """
  id name kind phone email source stage partner probability note lostReason
  expectedAmount { amount currency }
  owner { username } branch { code }
  referredBy { customerNo } product { code } campaign { name } event { name }
  customer { id customerNo name phone email branch { code } relationshipManager { username } }
  stageHistory { fromStage toStage note changedBy { username } }
"""
CREATE_LEAD = f"""
mutation($input: CreateLeadInput!) {{
  createLead(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ code field }} }}
}}
"""
MOVE_LEAD = f"""
mutation($input: MoveLeadInput!) {{
  moveLead(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ code field }} }}
}}
"""
UPDATE_LEAD = f"""
mutation($input: UpdateLeadInput!) {{
  updateLead(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ code field }} }}
}}
"""
CONVERT_LEAD = f"""
mutation($input: ConvertLeadInput!) {{
  convertLead(input: $input) {{
    lead {{ {LEAD_FIELDS} }} customer {{ id customerNo }} errors {{ code field }}
  }}
}}
"""
LEAD = f"query($id: ID!) {{ lead(id: $id) {{ {LEAD_FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Lead { name stage } } }"
LEADS = """
query($first: Int, $after: String, $filter: LeadFilter) {
  leads(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { name stage source owner { username } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

STAGES = ("NEW", "CONTACTED", "QUALIFIED", "PROPOSAL", "WON", "LOST")


def db_id(node: dict[str, Any]) -> int:
    return int(relay.GlobalID.from_id(node["id"]).node_id)


async def create_lead(bank: Bank, by: str = "bj.rm", **input: Any) -> dict[str, Any]:
    """The payload of recording a lead: a walk-in, 张伟, unless ``input`` says otherwise."""
    given = {
        "name": "张伟",
        "source": "WALK_IN",
        "phone": "13900001111",
        "email": "zhangwei@example.com",
    }
    caller = await bank.sign_in(by)
    return (await caller.data(CREATE_LEAD, {"input": given | input}))["createLead"]


async def new_lead(bank: Bank, by: str = "bj.rm", **input: Any) -> dict[str, Any]:
    payload = await create_lead(bank, by, **input)
    assert payload["errors"] == [], payload["errors"]
    return payload["lead"]


async def move(
    bank: Bank, lead: dict[str, Any], stage: str, by: str = "bj.rm", **input: Any
) -> dict[str, Any]:
    """The payload of moving ``lead`` to ``stage``."""
    caller = await bank.sign_in(by)
    given = {"leadId": lead["id"], "stage": stage} | input
    return (await caller.data(MOVE_LEAD, {"input": given}))["moveLead"]


async def update(bank: Bank, lead: dict[str, Any], by: str = "bj.rm", **input: Any):
    caller = await bank.sign_in(by)
    body = await caller.data(UPDATE_LEAD, {"input": {"leadId": lead["id"]} | input})
    return body["updateLead"]


async def lead_at(bank: Bank, stage: str, by: str = "bj.rm", **input: Any) -> dict[str, Any]:
    """A new lead moved straight to ``stage`` (a lost one for a reason)."""
    lead = await new_lead(bank, by, **input)
    if stage == "NEW":
        return lead
    reason = {"reason": "买了别家的产品"} if stage == "LOST" else {}
    payload = await move(bank, lead, stage, by, **reason)
    assert payload["errors"] == [], payload["errors"]
    return payload["lead"]


async def read_lead(bank: Bank, lead: dict[str, Any], by: str = "bj.rm") -> dict[str, Any] | None:
    caller = await bank.sign_in(by)
    return (await caller.data(LEAD, {"id": lead["id"]}))["lead"]


async def convert(
    bank: Bank, lead: dict[str, Any], id_number: str, by: str = "bj.rm"
) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    body = await caller.data(CONVERT_LEAD, {"input": {"leadId": lead["id"], "idNumber": id_number}})
    return body["convertLead"]
