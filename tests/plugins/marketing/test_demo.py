"""`crm demo`'s marketing data, as a developer finds it in GraphiQL afterwards:
events with invitations answered and attendance recorded, a pipeline of leads
at every stage from every source, a converted lead, and referrals taken up.

Every seeder runs in-process on the test database (so on PostgreSQL too), in
one transaction as ``crm demo`` runs them."""

from __future__ import annotations

from collections import Counter

from core.db import Mode
from core.hookspecs import DemoOptions
from core.runtime import Runtime
from tests.conftest import GraphQLClient

DEMO_PASSWORD = "demo password 2026"

OUTREACH = """
{
  events(first: 10) {
    edges { node {
      name kind status capacity invitedCount acceptedCount attendedCount
      invitations(first: 100) { edges { node { status followUp { title } } } }
    } }
  }
  leadPipeline { stage count }
  leads(first: 100) {
    totalCount
    edges { node { source stage kind owner { username } customer { name } } }
  }
  referrals(first: 10) {
    edges { node { status team outcome referredBy { username } specialist { username } } }
  }
}
"""


async def seed_demo(runtime: Runtime) -> None:
    options = DemoOptions(password=DEMO_PASSWORD, runtime=runtime)
    async with runtime.database.transaction(Mode.WRITE) as session:
        for _, seeder in runtime.plugins.each("crm_demo_data"):
            await seeder(session, options)


async def test_the_demo_shows_events_leads_and_referrals(
    runtime: Runtime, client: GraphQLClient
) -> None:
    await seed_demo(runtime)
    admin = await client.sign_in("admin", DEMO_PASSWORD)

    data = await admin.data(OUTREACH)

    events = {edge["node"]["kind"]: edge["node"] for edge in data["events"]["edges"]}
    seminar, salon = events["WEALTH_SEMINAR"], events["VIP_SALON"]
    answers = Counter(i["node"]["status"] for i in seminar["invitations"]["edges"])
    assert seminar["status"] == "PLANNED"
    assert answers["ACCEPTED"] > 0
    assert answers["DECLINED"] > 0
    assert answers["ACCEPTED"] == seminar["acceptedCount"] <= seminar["capacity"]
    assert sum(answers.values()) == seminar["invitedCount"]
    assert salon["status"] == "HELD"
    came = [i["node"] for i in salon["invitations"]["edges"] if i["node"]["status"] == "ATTENDED"]
    assert len(came) == salon["attendedCount"] > 0
    assert all(guest["followUp"]["title"].startswith("活动回访") for guest in came)
    assert {i["node"]["status"] for i in salon["invitations"]["edges"]} >= {"NO_SHOW", "DECLINED"}

    leads = [edge["node"] for edge in data["leads"]["edges"]]
    assert 12 <= data["leads"]["totalCount"] == len(leads) <= 20
    assert {lead["source"] for lead in leads} == {
        "WALK_IN",
        "REFERRAL",
        "EVENT",
        "CAMPAIGN",
        "PARTNER",
    }
    pipeline = {figure["stage"]: figure["count"] for figure in data["leadPipeline"]}
    assert all(pipeline[stage] > 0 for stage in ("NEW", "CONTACTED", "QUALIFIED", "PROPOSAL"))
    assert pipeline["WON"] > 0
    assert pipeline["LOST"] > 0
    assert {lead["owner"]["username"] for lead in leads} == {"bj.rm1", "bj.rm2", "sh.rm1", "gz.rm1"}
    converted = [lead for lead in leads if lead["customer"] is not None]
    assert len(converted) == 1
    assert converted[0]["stage"] == "WON"
    owner = await client.sign_in(converted[0]["owner"]["username"], DEMO_PASSWORD)
    own = await owner.data(
        "{ leads(first: 100) { edges { node { owner { username } customer { name } } } } }"
    )
    assert {edge["node"]["owner"]["username"] for edge in own["leads"]["edges"]} == {
        converted[0]["owner"]["username"]
    }
    assert converted[0]["customer"] in [edge["node"]["customer"] for edge in own["leads"]["edges"]]

    referrals = [edge["node"] for edge in data["referrals"]["edges"]]
    assert sorted(r["status"] for r in referrals) == ["ACCEPTED", "DECLINED", "OPEN", "WON"]
    assert len({r["team"] for r in referrals}) == 4
    for referral in referrals:
        taken = referral["status"] != "OPEN"
        assert (referral["specialist"] is not None) == taken
        if taken:
            assert referral["specialist"]["username"] != referral["referredBy"]["username"]
