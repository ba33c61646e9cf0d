"""Batch loads for the finance plugin's types, always within the viewer's scope.

A customer account is reachable when its customer is; the bank's internal
accounts are never reached through the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Select, select

from core.context import Context
from core.loaders import all_per_key, one_per_key
from core.pagination import Page, keyset_pages_per_parent
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.finance.models import Account, AccountStatus, Freeze, JournalEntry, Posting


def reachable_accounts(context: Context) -> Select[tuple[Account]]:
    return (
        select(Account)
        .join(Customer, Customer.id == Account.customer_id)
        .where(in_scope(context.user))
    )


async def accounts_by_id(context: Context, ids: Sequence[int | None]) -> list[Account | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        reachable_accounts(context).where(Account.id.in_(wanted))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda account: account.id)  # type: ignore[arg-type, return-value]


async def open_accounts_by_customer(context: Context, ids: Sequence[int]) -> list[list[Account]]:
    """Each customer's accounts that are not closed, oldest first (the customer
    was loaded within scope, so the accounts are too)."""
    rows = await context.session.scalars(
        select(Account)
        .where(Account.customer_id.in_(ids), Account.status != AccountStatus.CLOSED)  # type: ignore[union-attr]
        .order_by(Account.id)
    )
    return all_per_key(ids, rows, lambda account: account.customer_id)  # type: ignore[arg-type, return-value]


async def all_accounts_by_customer(context: Context, ids: Sequence[int]) -> list[list[Account]]:
    rows = await context.session.scalars(
        select(Account).where(Account.customer_id.in_(ids)).order_by(Account.id)  # type: ignore[union-attr]
    )
    return all_per_key(ids, rows, lambda account: account.customer_id)  # type: ignore[arg-type, return-value]


async def freezes_by_account(context: Context, ids: Sequence[int]) -> list[list[Freeze]]:
    """Each account's freezes, active ones first, newest first."""
    rows = await context.session.scalars(
        select(Freeze)
        .where(Freeze.account_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Freeze.released_at.is_not(None), Freeze.id.desc())  # type: ignore[union-attr]
    )
    return all_per_key(ids, rows, lambda freeze: freeze.account_id)


async def freezes_by_id(context: Context, ids: Sequence[int | None]) -> list[Freeze | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Freeze)
        .join(Account, Account.id == Freeze.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Freeze.id.in_(wanted), in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda freeze: freeze.id)  # type: ignore[arg-type, return-value]


async def entries_by_id(context: Context, ids: Sequence[int]) -> list[JournalEntry | None]:
    rows = await context.session.scalars(
        select(JournalEntry).where(JournalEntry.id.in_(ids))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda entry: entry.id)  # type: ignore[arg-type]


async def postings_by_entry(context: Context, ids: Sequence[int]) -> list[list[Posting]]:
    rows = await context.session.scalars(
        select(Posting).where(Posting.entry_id.in_(ids)).order_by(Posting.id)  # type: ignore[attr-defined]
    )
    return all_per_key(ids, rows, lambda posting: posting.entry_id)


async def postings_by_id(context: Context, ids: Sequence[int | None]) -> list[Posting | None]:
    """Postings on customer accounts the viewer may reach."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Posting)
        .join(Account, Account.id == Posting.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Posting.id.in_(wanted), in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda posting: posting.id)  # type: ignore[arg-type, return-value]


class PostingLine(NamedTuple):
    """A posting as an account's history shows it, read as plain columns: the
    360 view shows thousands per page, which as ORM objects cost more than
    the rest of the page (``docs/performance.md``). Named as ``Posting`` is."""

    id: int
    entry_id: int
    account_id: int
    kind: str
    currency: str
    amount: Decimal
    balance_after: Decimal
    value_date: date
    posted_at: datetime


@dataclass(frozen=True)
class HistoryPage:
    """One page of an account's transactions, newest first: the loader's key."""

    account_id: int
    size: int
    after: str | None = None
    value_from: date | None = None
    value_to: date | None = None
    kinds: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[object, ...]:
        """What pages of different accounts share when loaded together."""
        return (self.size, self.after, self.value_from, self.value_to, self.kinds)


async def history_pages(context: Context, pages: Sequence[HistoryPage]) -> list[Page[PostingLine]]:
    """Pages of many accounts' histories: one statement per distinct page shape
    (the 360 view asks every account for the same page: one statement)."""
    found: dict[HistoryPage, Page[PostingLine]] = {}
    shapes: dict[tuple[object, ...], list[HistoryPage]] = {}
    for page in pages:
        shapes.setdefault(page.shape, []).append(page)
    for group in shapes.values():
        sample = group[0]
        statement = select(Posting)
        if sample.value_from is not None:
            statement = statement.where(Posting.value_date >= sample.value_from)
        if sample.value_to is not None:
            statement = statement.where(Posting.value_date <= sample.value_to)
        if sample.kinds:
            statement = statement.where(Posting.kind.in_(sample.kinds))  # type: ignore[attr-defined]
        by_account = await keyset_pages_per_parent(
            context.session,
            statement,
            Posting.account_id,  # type: ignore[arg-type]
            [page.account_id for page in group],
            [Posting.id],  # type: ignore[list-item]
            size=sample.size,
            after=sample.after,
            descending=True,
            row_type=PostingLine,
        )
        found.update({page: by_account[page.account_id] for page in group})
    return [found[page] for page in pages]
