"""The product catalogue: the standard products every bank starts with, and
head office adding and changing its own through ``saveMarketingProduct``."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.marketing.models import MarketingProduct
from tests.plugins.customer.conftest import error_codes
from tests.plugins.marketing.conftest import Bank, codes

PRODUCT_FIELDS = """
  code name category riskLevel minimumAmount { amount currency }
  eligibleTiers eligibleKinds salesFrom salesTo active
"""
PRODUCTS = f"""
query($category: ProductCategory) {{
  marketingProducts(category: $category) {{ {PRODUCT_FIELDS} }}
}}
"""
SAVE_PRODUCT = f"""
mutation($input: SaveProductInput!) {{
  saveMarketingProduct(input: $input) {{
    product {{ {PRODUCT_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""

STANDARD = {
    # code: (category, risk level, minimum, tiers, kinds)
    "CARD-PLATINUM": ("CARD", None, "0.00", ["AFFLUENT", "WEALTH", "PRIVATE"], ["INDIVIDUAL"]),
    "DEP-CD-3Y": ("DEPOSIT", None, "200000.00", [], []),
    "INS-ANNUITY": ("INSURANCE", None, "0.00", [], ["INDIVIDUAL"]),
    "LOAN-CONSUMER": ("LOAN", None, "0.00", [], ["INDIVIDUAL"]),
    "PE-R5-FUND": ("WEALTH", "R5", "1000000.00", ["PRIVATE"], ["INDIVIDUAL"]),
    "WM-R2-STEADY": ("WEALTH", "R2", "10000.00", [], []),
    "WM-R3-BALANCED": ("WEALTH", "R3", "10000.00", ["AFFLUENT", "WEALTH", "PRIVATE"], []),
    "WM-R4-EQUITY": ("WEALTH", "R4", "100000.00", ["WEALTH", "PRIVATE"], []),
}


def product_input(**changes: Any) -> dict[str, Any]:
    """A valid SaveProductInput for a new R2 wealth product, with ``changes`` applied."""
    return {
        "code": "WM-R2-NEW",
        "name": "新客专享理财 (R2)",
        "category": "WEALTH",
        "riskLevel": "R2",
        "minimumAmount": "5000.00",
        "eligibleTiers": ["MASS", "AFFLUENT"],
        "eligibleKinds": ["INDIVIDUAL"],
        "salesFrom": "2026-01-01",
        "salesTo": "2026-12-31",
        "active": True,
    } | changes


async def catalogue(bank: Bank, by: str = "marketing", **variables: Any) -> list[dict[str, Any]]:
    caller = await bank.sign_in(by)
    return (await caller.data(PRODUCTS, variables))["marketingProducts"]


async def saving(bank: Bank, by: str = "marketing", **changes: Any) -> dict[str, Any]:
    """The ``saveMarketingProduct`` payload (errors included)."""
    caller = await bank.sign_in(by)
    body = await caller.data(SAVE_PRODUCT, {"input": product_input(**changes)})
    return body["saveMarketingProduct"]


async def product(bank: Bank, code: str) -> dict[str, Any] | None:
    """The product ``code`` as the catalogue lists it, or None."""
    return next((p for p in await catalogue(bank) if p["code"] == code), None)


def terms(product: dict[str, Any]) -> tuple[Any, ...]:
    return (
        product["category"],
        product["riskLevel"],
        product["minimumAmount"]["amount"],
        product["eligibleTiers"],
        product["eligibleKinds"],
    )


# ---------------------------------------------------------------- the standard catalogue


async def test_the_catalogue_lists_the_standard_products_by_code(bank: Bank):
    products = await catalogue(bank)

    assert [p["code"] for p in products] == sorted(STANDARD)
    assert {p["code"]: terms(p) for p in products} == STANDARD
    for p in products:
        assert p["minimumAmount"]["currency"] == "CNY"
        assert p["active"] is True
        assert (p["salesFrom"], p["salesTo"]) == (None, None)
        assert p["name"]


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("WEALTH", ["PE-R5-FUND", "WM-R2-STEADY", "WM-R3-BALANCED", "WM-R4-EQUITY"]),
        ("DEPOSIT", ["DEP-CD-3Y"]),
        ("INSURANCE", ["INS-ANNUITY"]),
        ("CARD", ["CARD-PLATINUM"]),
        ("LOAN", ["LOAN-CONSUMER"]),
    ],
)
async def test_the_catalogue_lists_one_category(bank: Bank, category: str, expected: list[str]):
    products = await catalogue(bank, category=category)

    assert [p["code"] for p in products] == expected
    assert {p["category"] for p in products} == {category}


async def test_every_wealth_product_has_a_risk_level_and_no_other_product_does(bank: Bank):
    products = await catalogue(bank)

    for p in products:
        assert (p["riskLevel"] is not None) == (p["category"] == "WEALTH"), p["code"]


async def test_a_teller_may_read_the_catalogue(bank: Bank):
    products = await catalogue(bank, by="bj.teller")

    assert [p["code"] for p in products] == sorted(STANDARD)


async def test_a_service_agent_may_not_read_the_catalogue(bank: Bank):
    agent = await bank.sign_in("bj.agent")

    body = await agent.execute(PRODUCTS)

    assert error_codes(body) == ["FORBIDDEN"]


# ---------------------------------------------------------------- adding and changing


async def test_marketing_adds_a_product(bank: Bank):
    payload = await saving(bank)

    assert payload["errors"] == []
    expected = {
        "code": "WM-R2-NEW",
        "name": "新客专享理财 (R2)",
        "category": "WEALTH",
        "riskLevel": "R2",
        "minimumAmount": {"amount": "5000.00", "currency": "CNY"},
        "eligibleTiers": ["AFFLUENT", "MASS"],
        "eligibleKinds": ["INDIVIDUAL"],
        "salesFrom": "2026-01-01",
        "salesTo": "2026-12-31",
        "active": True,
    }
    assert payload["product"] == expected
    assert await product(bank, "WM-R2-NEW") == expected
    assert await bank.count(MarketingProduct) == len(STANDARD) + 1


async def test_saving_an_existing_code_changes_that_product(bank: Bank):
    payload = await saving(
        bank,
        code=" wm-r2-steady ",
        name="稳健增利理财二期",
        riskLevel="R1",
        minimumAmount="20000",
        eligibleTiers=[],
        eligibleKinds=[],
        salesFrom=None,
        salesTo="2027-06-30",
        active=False,
    )

    assert payload["errors"] == []
    changed = await product(bank, "WM-R2-STEADY")
    assert changed == {
        "code": "WM-R2-STEADY",
        "name": "稳健增利理财二期",
        "category": "WEALTH",
        "riskLevel": "R1",
        "minimumAmount": {"amount": "20000.00", "currency": "CNY"},
        "eligibleTiers": [],
        "eligibleKinds": [],
        "salesFrom": None,
        "salesTo": "2027-06-30",
        "active": False,
    }
    assert await bank.count(MarketingProduct) == len(STANDARD)


async def test_a_product_other_than_wealth_needs_no_risk_level(bank: Bank):
    payload = await saving(bank, code="DEP-NEW", category="DEPOSIT", riskLevel=None)

    assert payload["errors"] == []
    assert (await product(bank, "DEP-NEW"))["riskLevel"] is None  # type: ignore[index]


async def test_a_sales_window_of_one_day_is_accepted(bank: Bank):
    payload = await saving(bank, salesFrom="2026-12-01", salesTo="2026-12-01")

    assert payload["errors"] == []


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"riskLevel": None}, "RISK_LEVEL_REQUIRED", ["input", "riskLevel"]),
        ({"minimumAmount": "-0.01"}, "INVALID_AMOUNT", ["input", "minimumAmount"]),
        ({"minimumAmount": "10.005"}, "INVALID_AMOUNT", ["input", "minimumAmount"]),
        (
            {"salesFrom": "2026-12-31", "salesTo": "2026-12-30"},
            "INVALID_PERIOD",
            ["input", "salesTo"],
        ),
        ({"name": "   "}, "REQUIRED", ["input", "name"]),
        ({"code": " "}, "REQUIRED", ["input", "code"]),
    ],
)
async def test_a_refused_product_is_not_written(
    bank: Bank, changes: dict[str, Any], code: str, field: list[str]
):
    payload = await saving(bank, **changes)

    assert payload["product"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await bank.count(MarketingProduct) == len(STANDARD)


async def test_a_refused_change_leaves_the_product_as_it_was(bank: Bank):
    before = await product(bank, "WM-R3-BALANCED")

    payload = await saving(bank, code="WM-R3-BALANCED", name="改名", minimumAmount="-1")

    assert codes(payload) == ["INVALID_AMOUNT"]
    assert await product(bank, "WM-R3-BALANCED") == before


@pytest.mark.parametrize("who", ["bj.rm", "bj.manager", "bj.teller", "auditor"])
async def test_only_head_office_marketing_may_save_products(bank: Bank, who: str):
    caller = await bank.sign_in(who)

    body = await caller.execute(SAVE_PRODUCT, {"input": product_input()})

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    assert await bank.count(MarketingProduct) == len(STANDARD)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1E+30", "99999999999999999999"])
async def test_an_amount_that_is_no_number_or_too_large_is_refused(bank: Bank, amount: str):
    payload = await saving(bank, minimumAmount=amount)

    assert codes(payload) == ["INVALID_AMOUNT"]
    assert await bank.count(MarketingProduct) == len(STANDARD)


async def test_the_payload_shows_the_minimum_amount_as_stored(bank: Bank):
    payload = await saving(bank, minimumAmount="20000")

    assert payload["product"]["minimumAmount"]["amount"] == "20000.00"
    assert (await product(bank, "WM-R2-NEW"))["minimumAmount"]["amount"] == "20000.00"  # type: ignore[index]
