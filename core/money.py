"""Money as the API shows it: an exact Decimal amount with its currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type(description="An exact amount of money (a Decimal, sent as a string).")
class Money:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")
