"""Campaign reports: the funnel of a campaign whose members stand in known
statuses across two branches and three managers (one of them: nobody), in
total, by branch and by manager; each viewer sees only the members in their
scope; a page of campaigns with their reports costs a fixed number of
statements."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import update

from core.authorization import Role
from core.columns import utcnow
from core.db import Mode
from plugins.marketing.models import Membership
from tests.plugins.customer.conftest import BJ, SH, Bank
from tests.plugins.finance.conftest import crm
from tests.plugins.marketing.test_campaigns import create, db_id, launched

FIGURES = """
  targeted contacted responded converted declined
  contactRate responseRate conversionRate convertedAmount { amount currency }
"""
REPORT = f"""
query($id: ID!) {{
  campaign(id: $id) {{
    report {{
      {FIGURES}
      budget {{ amount }} costPerConversion {{ amount currency }}
      byBranch {{ branch {{ code }} {FIGURES} }}
      byManager {{ manager {{ username }} {FIGURES} }}
    }}
  }}
}}
"""


def figures(
    counts: tuple[int, int, int, int, int],
    rates: tuple[str | None, str | None, str | None],
    amount: str,
) -> dict[str, Any]:
    targeted, contacted, responded, converted, declined = counts
    contact, response, conversion = rates
    return {
        "targeted": targeted,
        "contacted": contacted,
        "responded": responded,
        "converted": converted,
        "declined": declined,
        "contactRate": contact,
        "responseRate": response,
        "conversionRate": conversion,
        "convertedAmount": {"amount": amount, "currency": "CNY"},
    }


async def stand(
    bank: Bank, campaign: dict[str, Any], customer: dict[str, Any], status: str, amount: str = ""
) -> None:
    """Put the customer's membership at ``status`` (with ``amount`` converted)."""
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(Membership)
            .where(Membership.campaign_id == db_id(campaign), Membership.customer_id == customer_id)
            .values(status=status, converted_amount=Decimal(amount) if amount else None)
        )


async def spring_campaign(bank: Bank) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A head-office campaign with a budget of ¥10,000.01 and its eight members:

    ======  =======  ========  =========================
    branch  manager  status    converted
    ======  =======  ========  =========================
    BJ      bj.rm    TARGETED
    BJ      bj.rm    CONTACTED
    BJ      bj.rm    CONVERTED ¥100,000.00
    BJ      -        DECLINED
    BJ      -        RESPONDED
    SH      sh.rm    CONVERTED ¥50,000.50
    SH      sh.rm    TARGETED
    SH      sh.rm    RESPONDED
    ======  =======  ========  =========================
    """
    bj = [await bank.register() for _ in range(5)]
    sh = [await bank.register(branchCode=SH) for _ in range(3)]
    for customer in bj[:3]:
        await bank.assign(customer, "bj.rm")
    for customer in sh:
        await bank.assign(customer, "sh.rm")
    campaign = await launched(bank, *bj, *sh, budget="10000.01")
    statuses = ["TARGETED", "CONTACTED", "CONVERTED", "DECLINED", "RESPONDED"]
    statuses += ["CONVERTED", "TARGETED", "RESPONDED"]
    amounts = {2: "100000.00", 5: "50000.50"}
    for index, (customer, status) in enumerate(zip(bj + sh, statuses, strict=True)):
        await stand(bank, campaign, customer, status, amounts.get(index, ""))
    return campaign, bj + sh


async def report_as(bank: Bank, username: str, campaign: dict[str, Any]) -> dict[str, Any]:
    caller = await bank.sign_in(username)
    return (await caller.data(REPORT, {"id": campaign["id"]}))["campaign"]["report"]


BJ_RM = figures((3, 2, 1, 1, 0), ("0.6667", "0.5000", "0.3333"), "100000.00")
SH_ALL = figures((3, 2, 2, 1, 0), ("0.6667", "1.0000", "0.3333"), "50000.50")
BJ_UNMANAGED = figures((2, 2, 2, 0, 1), ("1.0000", "1.0000", "0.0000"), "0.00")
BJ_ALL = figures((5, 4, 3, 1, 1), ("0.8000", "0.7500", "0.2000"), "100000.00")


async def test_head_office_sees_the_whole_funnel_its_rates_amount_and_cost_per_conversion(
    bank: Bank,
):
    campaign, _ = await spring_campaign(bank)

    report = await report_as(bank, "marketing", campaign)

    # contacted counts everyone who got at least that far (declining too), and so on
    assert {key: report[key] for key in figures((0,) * 5, (None,) * 3, "0")} == figures(
        (8, 6, 5, 2, 1), ("0.7500", "0.8333", "0.2500"), "150000.50"
    )
    assert report["budget"] == {"amount": "10000.01"}
    assert report["costPerConversion"] == {"amount": "5000.01", "currency": "CNY"}  # 5000.005
    assert report["byBranch"] == [
        {"branch": {"code": "BJ-001"}, **BJ_ALL},
        {"branch": {"code": "SH-001"}, **SH_ALL},
    ]
    assert report["byManager"] == [
        {"manager": {"username": "bj.rm"}, **BJ_RM},
        {"manager": {"username": "sh.rm"}, **SH_ALL},
        {"manager": None, **BJ_UNMANAGED},
    ]


async def test_the_manager_is_the_customers_manager_when_the_report_is_read(bank: Bank):
    campaign, members = await spring_campaign(bank)
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    await bank.assign(members[2], "bj.rm2")  # the ¥100,000.00 sale changes hands

    report = await report_as(bank, "marketing", campaign)

    assert report["byManager"] == [
        {
            "manager": {"username": "bj.rm"},
            **figures((2, 1, 0, 0, 0), ("0.5000", "0.0000", "0.0000"), "0.00"),
        },
        {"manager": {"username": "sh.rm"}, **SH_ALL},
        {
            "manager": {"username": "bj.rm2"},
            **figures((1, 1, 1, 1, 0), ("1.0000", "1.0000", "1.0000"), "100000.00"),
        },
        {"manager": None, **BJ_UNMANAGED},
    ]


async def test_a_branch_manager_sees_their_branchs_members_only_and_no_cost_per_conversion(
    bank: Bank,
):
    campaign, _ = await spring_campaign(bank)

    report = await report_as(bank, "bj.manager", campaign)

    assert {key: report[key] for key in BJ_ALL} == BJ_ALL
    assert report["byBranch"] == [{"branch": {"code": "BJ-001"}, **BJ_ALL}]
    assert report["byManager"] == [
        {"manager": {"username": "bj.rm"}, **BJ_RM},
        {"manager": None, **BJ_UNMANAGED},
    ]
    # the budget is the whole campaign's: divided by one branch's sales it would mislead
    assert report["costPerConversion"] is None


async def test_a_relationship_manager_sees_their_own_customers(bank: Bank):
    campaign, _ = await spring_campaign(bank)

    report = await report_as(bank, "sh.rm", campaign)

    assert {key: report[key] for key in SH_ALL} == SH_ALL
    assert [row["manager"] for row in report["byManager"]] == [{"username": "sh.rm"}]


async def test_a_campaign_not_yet_launched_reports_nothing_and_no_rates(bank: Bank):
    campaign = await create(bank, budget="5000")

    report = await report_as(bank, "marketing", campaign)

    assert {key: report[key] for key in BJ_ALL} == figures((0,) * 5, (None,) * 3, "0.00")
    assert report["costPerConversion"] is None
    assert report["byBranch"] == []
    assert report["byManager"] == []


async def test_no_budget_or_no_conversion_means_no_cost_per_conversion(bank: Bank):
    customer = await bank.register()
    without_budget = await launched(bank, customer)
    await stand(bank, without_budget, customer, "CONVERTED", "10.00")
    other = await bank.register()
    unsold = await launched(bank, other, budget="100.00")

    assert (await report_as(bank, "marketing", without_budget))["costPerConversion"] is None
    assert (await report_as(bank, "marketing", unsold))["costPerConversion"] is None


PAGE = """
query($first: Int) {
  campaigns(first: $first) {
    edges { node { name report { targeted costPerConversion { amount }
      byBranch { branch { code } converted } byManager { manager { username } converted } } } }
  }
}
"""


async def test_a_page_of_campaigns_with_their_reports_costs_the_same_for_2_as_for_6(
    bank: Bank, sql
):
    customers = [await bank.register() for _ in range(2)]
    for customer in customers:
        await bank.assign(customer, "bj.rm")
    for _ in range(6):
        await launched(bank, *customers, budget="10.00")
        for customer in customers:  # out of the frequency cap for the next one
            async with bank.runtime.database.transaction(Mode.WRITE) as session:
                await session.execute(
                    update(Membership)
                    .where(Membership.customer_id == await bank.customer_id(customer))
                    .values(targeted_at=utcnow() - timedelta(days=30))
                )
    caller = await bank.sign_in("marketing")
    await caller.data(PAGE, {"first": 1})

    counts = []
    for first in (2, 6):
        sql.reset()
        body = await caller.data(PAGE, {"first": first})
        assert len(body["campaigns"]["edges"]) == first
        counts.append(sql.count)

    assert counts[0] == counts[1], sql.statements
    # the user and roles 1, the page 1 (no count: not asked for), the funnels 1,
    # the member counts 1, the branches 1, the managers 1
    assert counts[1] == 6, sql.statements


# -- `crm marketing report` ----------------------------------------------------------


async def test_crm_marketing_report_writes_the_campaigns_figures_as_csv(
    bank: Bank, database_url: str, tmp_path: Path
):
    campaign, _ = await spring_campaign(bank)

    result = crm(
        database_url, "marketing", "report", str(db_id(campaign)), "-o", "out.csv", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == [
        "group,name,targeted,contacted,responded,converted,declined,"
        "contact_rate,response_rate,conversion_rate,converted_amount,budget,cost_per_conversion",
        "campaign,春季理财推广,8,6,5,2,1,0.7500,0.8333,0.2500,150000.50,10000.01,5000.01",
        "branch,BJ-001,5,4,3,1,1,0.8000,0.7500,0.2000,100000.00,,",
        "branch,SH-001,3,2,2,1,0,0.6667,1.0000,0.3333,50000.50,,",
        "manager,bj.rm,3,2,1,1,0,0.6667,0.5000,0.3333,100000.00,,",
        "manager,sh.rm,3,2,2,1,0,0.6667,1.0000,0.3333,50000.50,,",
        "manager,,2,2,2,0,1,1.0000,1.0000,0.0000,0.00,,",
    ]


async def test_crm_marketing_report_of_no_such_campaign_fails_in_one_line(
    bank: Bank, database_url: str, tmp_path: Path
):
    result = crm(database_url, "marketing", "report", "999", cwd=tmp_path)

    assert result.returncode == 2
    assert "there is no campaign 999" in result.stderr
