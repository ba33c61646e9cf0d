"""An exception in words, for the person who works it."""

from __future__ import annotations

from collections.abc import Callable

from plugins.finance.reconciliation.models import ExceptionKind, ReconciliationException
from plugins.finance.references import posting_reference

Describe = Callable[[ReconciliationException], str]

_WORDS: dict[ExceptionKind, Describe] = {
    ExceptionKind.LEDGER_OUT_OF_BALANCE: lambda e: (
        f"The ledger's {e.currency} postings sum to {e.amount}, not zero."
    ),
    ExceptionKind.ENTRY_OUT_OF_BALANCE: lambda e: (
        f"Journal entry {e.entry_id}'s postings sum to {e.amount}, not zero."
    ),
    ExceptionKind.BALANCE_MISMATCH: lambda e: (
        f"The account's balance is {e.amount}; its postings sum to {e.other_amount}."
    ),
    ExceptionKind.INTERNAL_ACCOUNT_MISMATCH: lambda e: (
        f"The internal account holds {e.amount}; its sub-ledger says {e.other_amount}."
    ),
    ExceptionKind.MISSING_ON_OUR_SIDE: lambda e: (
        f"The clearing statement has {e.reference} for {e.amount}; we have no such posting."
    ),
    ExceptionKind.MISSING_ON_THEIR_SIDE: lambda e: (
        f"Our posting for {e.amount} is not on the clearing statement."
    ),
    ExceptionKind.AMOUNT_MISMATCH: lambda e: (
        f"The clearing statement says {e.amount}; our posting says {e.other_amount}."
    ),
    ExceptionKind.LARGE_CASH: lambda e: (
        f"A cash movement of {e.amount} {e.currency}, at or above the large-value threshold."
    ),
    ExceptionKind.STRUCTURING: lambda e: (
        f"{e.movements} cash movements in one day, each just under the large-value threshold, "
        f"{e.amount} {e.currency} in all."
    ),
    ExceptionKind.PASS_THROUGH: lambda e: (
        f"{e.amount} {e.currency} came in and {e.other_amount} went out the same day."
    ),
}


def describe(exception: ReconciliationException) -> str:
    return _WORDS[exception.kind](exception)


def reference_of(exception: ReconciliationException) -> str | None:
    """The statement's reference, or the reference of our posting at issue."""
    if exception.reference is not None:
        return exception.reference
    if exception.posting_id is not None:
        return posting_reference(exception.posting_id, exception.found_on)
    return None
