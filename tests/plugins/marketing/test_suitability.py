"""Suitability (适当性): a product of risk level Rn only for a customer assessed Cn
or higher within the last 365 days, only for the tiers and kinds it is meant
for, and only within its sales window; one rule in Python for one customer
(``productSuitability``) and in SQL for an audience (``suitable_customers``)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from core.db import Mode
from core.runtime import Runtime
from plugins.customer.models import Customer, CustomerKind, CustomerTier, RiskProfile
from plugins.marketing.models import MarketingProduct, ProductCategory, RiskLevel
from plugins.marketing.products import STANDARD_PRODUCTS
from plugins.marketing.settings import marketing_settings
from plugins.marketing.suitability import suitable_customers, unsuitability
from tests.conftest import Staff
from tests.plugins.customer.conftest import SH, credit_code, error_codes, global_id
from tests.plugins.marketing.conftest import Bank, assessed

SUITABILITY = """
query($customerId: ID!, $productCode: String!) {
  productSuitability(customerId: $customerId, productCode: $productCode) { suitable code reason }
}
"""


def today(runtime: Runtime) -> date:
    return runtime.settings.today()


async def suitability(
    bank: Bank, customer: dict[str, Any] | str, product_code: str, by: str = "marketing"
) -> dict[str, Any] | None:
    """``productSuitability`` as ``by`` asks it (``customer``: the customer or a global ID)."""
    caller = await bank.sign_in(by)
    customer_id = customer if isinstance(customer, str) else customer["id"]
    body = await caller.data(SUITABILITY, {"customerId": customer_id, "productCode": product_code})
    return body["productSuitability"]


async def customer_with(
    bank: Bank,
    tier: str = "MASS",
    profile: str | None = None,
    days_ago: int | None = None,
    kind: str = "INDIVIDUAL",
) -> dict[str, Any]:
    """A customer of BJ-001 of ``tier`` and ``kind``, with risk ``profile`` assessed
    ``days_ago`` (None: never)."""
    changes: dict[str, Any] = {"kind": kind}
    if kind == "CORPORATE":
        changes |= {"name": "北京某某科技有限公司", "idNumber": credit_code(1)}
    customer = await bank.register(**changes)
    assessed_on = None if days_ago is None else today(bank.runtime) - timedelta(days=days_ago)
    await bank.change(customer, tier=tier, risk_profile=profile, risk_assessed_on=assessed_on)
    return customer


async def change_product(bank: Bank, code: str, **values: Any) -> None:
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(MarketingProduct).where(MarketingProduct.code == code).values(**values)
        )


# ---------------------------------------------------------------- one customer, one product


@pytest.mark.parametrize(
    ("tier", "profile", "days_ago", "product", "refusal"),
    [
        # risk level against risk tolerance
        ("AFFLUENT", "C2", 0, "WM-R3-BALANCED", "UNSUITABLE_PRODUCT"),
        ("AFFLUENT", "C3", 0, "WM-R3-BALANCED", None),
        ("AFFLUENT", "C5", 0, "WM-R3-BALANCED", None),
        ("MASS", "C1", 0, "WM-R2-STEADY", "UNSUITABLE_PRODUCT"),
        ("MASS", "C2", 0, "WM-R2-STEADY", None),
        ("WEALTH", "C3", 0, "WM-R4-EQUITY", "UNSUITABLE_PRODUCT"),
        ("WEALTH", "C4", 0, "WM-R4-EQUITY", None),
        ("PRIVATE", "C4", 0, "PE-R5-FUND", "UNSUITABLE_PRODUCT"),
        ("PRIVATE", "C5", 0, "PE-R5-FUND", None),
        # the assessment: missing, or how old
        ("AFFLUENT", None, None, "WM-R3-BALANCED", "RISK_ASSESSMENT_REQUIRED"),
        ("AFFLUENT", "C4", None, "WM-R3-BALANCED", "RISK_ASSESSMENT_REQUIRED"),
        ("AFFLUENT", "C4", 366, "WM-R3-BALANCED", "RISK_ASSESSMENT_EXPIRED"),
        ("AFFLUENT", "C4", 365, "WM-R3-BALANCED", None),
        ("AFFLUENT", "C1", 366, "WM-R3-BALANCED", "RISK_ASSESSMENT_EXPIRED"),
        # tiers the product is meant for
        ("MASS", "C5", 0, "WM-R3-BALANCED", "NOT_ELIGIBLE"),
        ("AFFLUENT", "C5", 0, "WM-R4-EQUITY", "NOT_ELIGIBLE"),
        ("WEALTH", "C5", 0, "PE-R5-FUND", "NOT_ELIGIBLE"),
        ("MASS", None, None, "WM-R3-BALANCED", "NOT_ELIGIBLE"),
        ("MASS", None, None, "CARD-PLATINUM", "NOT_ELIGIBLE"),
        # no risk level: no assessment needed
        ("AFFLUENT", None, None, "CARD-PLATINUM", None),
        ("MASS", None, None, "DEP-CD-3Y", None),
        ("MASS", "C1", 800, "LOAN-CONSUMER", None),
    ],
)
async def test_suitability_of_a_product_for_a_customer(
    bank: Bank,
    tier: str,
    profile: str | None,
    days_ago: int | None,
    product: str,
    refusal: str | None,
):
    customer = await customer_with(bank, tier, profile, days_ago)

    answer = await suitability(bank, customer, product)

    assert answer is not None
    assert (answer["suitable"], answer["code"]) == (refusal is None, refusal)
    assert (answer["reason"] is None) == (refusal is None)


@pytest.mark.parametrize(
    ("product", "refusal"),
    [
        ("PE-R5-FUND", "NOT_ELIGIBLE"),
        ("INS-ANNUITY", "NOT_ELIGIBLE"),
        ("CARD-PLATINUM", "NOT_ELIGIBLE"),
        ("WM-R4-EQUITY", None),
        ("DEP-CD-3Y", None),
    ],
)
async def test_a_product_for_individuals_is_not_for_a_company(
    bank: Bank, product: str, refusal: str | None
):
    company = await customer_with(bank, "PRIVATE", "C5", 0, kind="CORPORATE")

    answer = await suitability(bank, company, product)

    assert answer is not None
    assert (answer["suitable"], answer["code"]) == (refusal is None, refusal)


@pytest.mark.parametrize(
    ("sales_from", "sales_to", "active", "refusal"),
    [
        (1, None, True, "PRODUCT_NOT_ON_SALE"),  # from tomorrow
        (None, -1, True, "PRODUCT_NOT_ON_SALE"),  # until yesterday
        (None, None, False, "PRODUCT_NOT_ON_SALE"),  # withdrawn
        (0, 0, True, None),  # on sale today only
        (-30, 30, True, None),
    ],
)
async def test_a_product_is_offered_only_within_its_sales_window_and_while_active(
    bank: Bank, sales_from: int | None, sales_to: int | None, active: bool, refusal: str | None
):
    now = today(bank.runtime)
    await change_product(
        bank,
        "WM-R2-STEADY",
        sales_from=None if sales_from is None else now + timedelta(days=sales_from),
        sales_to=None if sales_to is None else now + timedelta(days=sales_to),
        active=active,
    )
    customer = await customer_with(bank, "MASS", "C5", 0)

    answer = await suitability(bank, customer, "WM-R2-STEADY")

    assert answer is not None
    assert (answer["suitable"], answer["code"]) == (refusal is None, refusal)


async def test_a_product_off_sale_is_refused_before_anything_else(bank: Bank):
    await change_product(bank, "WM-R3-BALANCED", active=False)
    customer = await customer_with(bank, "MASS")

    answer = await suitability(bank, customer, "WM-R3-BALANCED")

    assert answer is not None
    assert answer["code"] == "PRODUCT_NOT_ON_SALE"


async def test_the_product_code_is_read_without_regard_to_case_or_spaces(bank: Bank):
    customer = await customer_with(bank, "MASS", "C2", 0)

    answer = await suitability(bank, customer, " wm-r2-steady ")

    assert answer == {"suitable": True, "code": None, "reason": None}


async def test_an_unknown_product_gives_null(bank: Bank):
    customer = await customer_with(bank, "PRIVATE", "C5", 0)

    assert await suitability(bank, customer, "NO-SUCH-PRODUCT") is None


async def test_an_unknown_customer_or_another_type_of_id_gives_null(bank: Bank):
    assert await suitability(bank, global_id("Customer", 999999), "DEP-CD-3Y") is None
    assert await suitability(bank, bank.user("bj.rm"), "DEP-CD-3Y") is None


async def test_a_customer_out_of_scope_gives_null(bank: Bank):
    own = await bank.register(by="bj.rm")
    colleagues = await bank.register()  # of BJ-001, managed by nobody
    elsewhere = await bank.register(branchCode=SH)

    assert await suitability(bank, own, "DEP-CD-3Y", by="bj.rm") is not None
    assert await suitability(bank, colleagues, "DEP-CD-3Y", by="bj.rm") is None
    assert await suitability(bank, elsewhere, "DEP-CD-3Y", by="bj.rm") is None
    assert await suitability(bank, elsewhere, "DEP-CD-3Y", by="bj.manager") is None
    assert await suitability(bank, elsewhere, "DEP-CD-3Y", by="sh.teller") is not None


async def test_staff_without_marketing_read_may_not_ask(bank: Bank):
    customer = await bank.register()
    agent = await bank.sign_in("bj.agent")

    body = await agent.execute(
        SUITABILITY, {"customerId": customer["id"], "productCode": "DEP-CD-3Y"}
    )

    assert error_codes(body) == ["FORBIDDEN"]


async def test_the_assessment_helper_sets_what_suitability_reads(bank: Bank):
    customer = await bank.register(by="bj.rm")
    await bank.change(customer, tier="AFFLUENT")
    await assessed(bank, customer, "C3", on=today(bank.runtime))

    answer = await suitability(bank, customer, "WM-R3-BALANCED", by="bj.rm")

    assert answer == {"suitable": True, "code": None, "reason": None}


# ---------------------------------------------------------------- the same rule in SQL

PROFILES: list[RiskProfile | None] = [None, *RiskProfile]
AGES: list[int | None] = [None, -1, 0, 364, 365, 366, 1000]
"""Days since the assessment (None: never; -1: dated tomorrow)."""
VALID_AGES = [-1, 0, 364, 365]

OWN_PRODUCTS = [
    MarketingProduct(
        code="R1-COMPANIES",
        name="对公结构性存款 (R1)",
        category=ProductCategory.WEALTH,
        risk_level=RiskLevel.R1,
        eligible_tiers=["MASS"],
        eligible_kinds=["CORPORATE"],
    ),
    MarketingProduct(
        code="R3-ANYONE",
        name="R3 for anyone",
        category=ProductCategory.WEALTH,
        risk_level=RiskLevel.R3,
        minimum_amount=Decimal("1.00"),
    ),
    MarketingProduct(code="ANYTHING", name="Anything", category=ProductCategory.DEPOSIT),
]


async def population(runtime: Runtime, staff: Staff) -> list[Customer]:
    """One customer of every tier, kind, risk profile and assessment age."""
    branch_id = await staff.branch()
    now = today(runtime)
    combinations = itertools.product(CustomerTier, CustomerKind, PROFILES, AGES)
    async with runtime.database.transaction(Mode.WRITE) as session:
        for n, (tier, kind, profile, age) in enumerate(combinations):
            session.add(
                Customer(
                    customer_no=f"T{n:08d}",
                    kind=kind,
                    name=f"客户{n}",
                    id_number=f"T{n:017d}",
                    branch_id=branch_id,
                    tier=tier,
                    risk_profile=profile,
                    risk_assessed_on=None if age is None else now - timedelta(days=age),
                )
            )
    async with runtime.database.transaction(Mode.READ) as session:
        return list(await session.scalars(select(Customer)))


async def products(runtime: Runtime) -> list[MarketingProduct]:
    async with runtime.database.transaction(Mode.READ) as session:
        standard = list(await session.scalars(select(MarketingProduct)))
    return standard + OWN_PRODUCTS


async def selected(runtime: Runtime, product: MarketingProduct | None) -> set[int]:
    """The ids ``suitable_customers`` selects, run on the test database."""
    async with runtime.database.transaction(Mode.READ) as session:
        ids = await session.scalars(
            select(Customer.id).where(suitable_customers(product, today(runtime)))
        )
        return set(ids)  # type: ignore[arg-type]


async def test_suitable_customers_selects_exactly_whom_unsuitability_accepts(
    runtime: Runtime, staff: Staff
):
    customers = await population(runtime, staff)
    catalogue = await products(runtime)
    assert len(customers) == 4 * 2 * 6 * 7
    assert len(catalogue) == len(STANDARD_PRODUCTS) + len(OWN_PRODUCTS)

    for product in catalogue:
        accepted = {c.id for c in customers if unsuitability(c, product, today(runtime)) is None}

        assert await selected(runtime, product) == accepted, product.code
        assert accepted, product.code
        restricted = product.eligible_tiers or product.eligible_kinds or product.risk_level
        assert (len(accepted) < len(customers)) == bool(restricted), product.code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # tiers × kinds × profiles Cn and up × valid assessment ages
        ("WM-R2-STEADY", 4 * 2 * 4 * len(VALID_AGES)),
        ("WM-R3-BALANCED", 3 * 2 * 3 * len(VALID_AGES)),
        ("WM-R4-EQUITY", 2 * 2 * 2 * len(VALID_AGES)),
        ("PE-R5-FUND", 1 * 1 * 1 * len(VALID_AGES)),
        ("CARD-PLATINUM", 3 * 1 * len(PROFILES) * len(AGES)),
        ("DEP-CD-3Y", 4 * 2 * len(PROFILES) * len(AGES)),
        ("R1-COMPANIES", 1 * 1 * 5 * len(VALID_AGES)),
    ],
)
async def test_suitable_customers_counts_by_hand(
    runtime: Runtime, staff: Staff, code: str, expected: int
):
    await population(runtime, staff)
    product = next(p for p in await products(runtime) if p.code == code)

    assert len(await selected(runtime, product)) == expected


async def test_without_a_product_every_customer_is_suitable(runtime: Runtime, staff: Staff):
    customers = await population(runtime, staff)

    assert await selected(runtime, None) == {c.id for c in customers}


async def test_how_long_an_assessment_stays_valid_is_a_setting(
    runtime: Runtime, staff: Staff, monkeypatch: pytest.MonkeyPatch
):
    customers = await population(runtime, staff)
    r2 = next(p for p in await products(runtime) if p.code == "WM-R2-STEADY")
    monkeypatch.setenv("CRM_RISK_ASSESSMENT_VALID_DAYS", "364")
    marketing_settings.cache_clear()
    try:
        accepted = {c.id for c in customers if unsuitability(c, r2, today(runtime)) is None}
        found = await selected(runtime, r2)
    finally:
        monkeypatch.delenv("CRM_RISK_ASSESSMENT_VALID_DAYS")
        marketing_settings.cache_clear()

    assert found == accepted
    assert len(found) == 4 * 2 * 4 * len([-1, 0, 364])  # 365 days old is now too old
