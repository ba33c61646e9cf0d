"""Shared set-up for the marketing plugin's tests: the customer tests' bank of
two branches and their staff, and customers with an assessed risk tolerance."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.plugins.customer.conftest import (  # noqa: F401  (fixtures, shared)
    Bank,
    bank,
    global_id,
    password_hash,
)


async def assessed(in_bank: Bank, customer: dict[str, Any], profile: str, on: date) -> None:
    """Give ``customer`` a risk tolerance ``profile`` (C1–C5) assessed ``on``."""
    await in_bank.change(customer, risk_profile=profile, risk_assessed_on=on)


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]
