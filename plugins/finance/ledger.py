"""The double-entry ledger: every movement of money is one balanced journal entry.

:func:`post_entry` is the only way money moves between accounts one entry at a
time; the end-of-day batch posts whole sets at once (``plugins.finance.interest``)
under the same rules. :func:`check_ledger` proves the rules held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, column, func, insert, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core.columns import MinorUnits
from plugins.finance.models import Account, JournalEntry, Posting


class UnbalancedEntry(ValueError):
    """A programming error: postings that do not sum to zero must never be written."""


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` positive credits ``account``, negative debits it.
    The account must be locked by the caller (``plugins.finance.locks``)."""

    account: Account
    amount: Decimal
    kind: str


_ACCOUNTS = Account.__table__  # type: ignore[attr-defined]
_ENTRIES = JournalEntry.__table__  # type: ignore[attr-defined]
_POSTINGS = Posting.__table__  # type: ignore[attr-defined]


async def post_entry(
    session: AsyncSession,
    *,
    kind: str,
    lines: list[Line],
    value_date: date,
    memo: str | None = None,
    by: int | None = None,
    reverses_id: int | None = None,
) -> JournalEntry:
    """Write one balanced entry and move the accounts' running balances.

    Money is posted on every request, so it takes few statements whatever the
    number of lines, in plain SQL rather than the ORM's unit of work: one on
    PostgreSQL, three on SQLite. Anything the caller left pending (an account
    just opened or changed) is flushed first. The locked ``Account`` rows are
    told their new balance as stored, so the session neither writes it again
    nor reads it back; the entry returned is in the session as if it had been
    read.
    """
    if sum(line.amount for line in lines) != 0 or any(line.amount == 0 for line in lines):
        raise UnbalancedEntry(f"{kind}: {[(line.kind, line.amount) for line in lines]}")
    await session.flush()
    entry = JournalEntry(
        kind=kind, value_date=value_date, memo=memo, created_by=by, reverses_id=reverses_id
    )
    balances: dict[int, Decimal] = {}
    rows: list[dict[str, Any]] = []
    for line in lines:
        account = line.account
        balance = account.balance + line.amount
        set_committed_value(account, "balance", balance)
        balances[account.id] = balance  # type: ignore[index]
        rows.append(
            {
                "account_id": account.id,
                "kind": line.kind,
                "currency": account.currency,
                "amount": line.amount,
                "balance_after": balance,
            }
        )
    write = _write_on_postgresql if session.bind.dialect.name == "postgresql" else _write_on_sqlite
    entry.id = await write(session, entry, rows, balances)
    make_transient_to_detached(entry)
    session.add(entry)
    return entry


_ENTRY_COLUMNS = ("kind", "value_date", "memo", "created_at", "created_by", "reverses_id")


def _arrays(**types: Any) -> dict[str, Any]:
    """One array parameter per column, named ``rows_<column>`` (a parameter named
    as a column would also be set by the ``UPDATE``), for ``unnest``: any number
    of rows in a statement whose text, and so its compiled form, never changes."""
    return {name: bindparam(f"rows_{name}", type_=ARRAY(kind)) for name, kind in types.items()}


_ENTRY = (
    insert(_ENTRIES)
    .values(
        {name: bindparam(f"entry_{name}", type_=_ENTRIES.c[name].type) for name in _ENTRY_COLUMNS}
    )
    .returning(_ENTRIES.c.id, _ENTRIES.c.value_date, _ENTRIES.c.created_at)
    .cte("entry")
)
_MOVED = _arrays(moved_id=Integer(), moved_balance=MinorUnits())
_MOVED_TO = (
    func.unnest(_MOVED["moved_id"], _MOVED["moved_balance"])
    .table_valued(column("id", Integer), column("balance", MinorUnits()))
    .render_derived("moved_to")
)
_POSTED = _arrays(
    account_id=Integer(),
    kind=_POSTINGS.c.kind.type,
    currency=_POSTINGS.c.currency.type,
    amount=MinorUnits(),
    balance_after=MinorUnits(),
)
_LINES = (
    func.unnest(*_POSTED.values())
    .table_valued(*(column(name, parameter.type) for name, parameter in _POSTED.items()))
    .render_derived("line")
)
_POST = (
    select(_ENTRY.c.id)
    .add_cte(
        update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id == _MOVED_TO.c.id)
        .values(balance=_MOVED_TO.c.balance)
        .cte("moved")
    )
    .add_cte(
        insert(_POSTINGS)
        .from_select(
            ["entry_id", "value_date", "posted_at", *_POSTED],
            select(
                _ENTRY.c.id,
                _ENTRY.c.value_date,
                _ENTRY.c.created_at,
                *(_LINES.c[name] for name in _POSTED),
            ).select_from(_ENTRY.join(_LINES, true())),
        )
        .cte("posted")
    )
)
"""PostgreSQL: the entry inserted, the balances moved and the postings inserted,
in one statement (each data-modifying ``WITH`` runs to completion, read or not);
the entry's id back."""


async def _write_on_postgresql(
    session: AsyncSession,
    entry: JournalEntry,
    rows: list[dict[str, Any]],
    balances: dict[int, Decimal],
) -> int:
    return await session.scalar(  # type: ignore[return-value]
        _POST,
        {
            **{f"entry_{name}": getattr(entry, name) for name in _ENTRY_COLUMNS},
            "rows_moved_id": list(balances),
            "rows_moved_balance": list(balances.values()),
            **{f"rows_{name}": [row[name] for row in rows] for name in _POSTED},
        },
    )


_ENTRY_ROW = insert(_ENTRIES).returning(_ENTRIES.c.id)
_MOVE_BALANCE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("moved_id"))
    .values(balance=bindparam("moved_balance"))
)
_POSTING_ROWS = insert(_POSTINGS)


async def _write_on_sqlite(
    session: AsyncSession,
    entry: JournalEntry,
    rows: list[dict[str, Any]],
    balances: dict[int, Decimal],
) -> int:
    """The entry, then an ``executemany`` each for the balances and the postings:
    SQLite has neither a data-modifying ``WITH`` nor arrays."""
    entry_id = await session.scalar(
        _ENTRY_ROW, {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
    )
    await session.execute(
        _MOVE_BALANCE,
        [{"moved_id": key, "moved_balance": balance} for key, balance in balances.items()],
    )
    await session.execute(
        _POSTING_ROWS,
        [
            {
                **row,
                "entry_id": entry_id,
                "value_date": entry.value_date,
                "posted_at": entry.created_at,
            }
            for row in rows
        ],
    )
    return entry_id  # type: ignore[return-value]


@dataclass(frozen=True)
class LedgerCheck:
    """What :func:`check_ledger` found; ``ok`` when nothing is wrong."""

    total: Decimal
    unbalanced_entries: list[int]
    drifted_accounts: list[int]

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.unbalanced_entries and not self.drifted_accounts


async def check_ledger(session: AsyncSession) -> LedgerCheck:
    """Recompute the ledger: all postings sum to zero, each entry sums to zero,
    and each account's running balance equals the sum of its postings."""
    total = await session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)))
    unbalanced = await session.scalars(
        select(Posting.entry_id)
        .group_by(Posting.entry_id)
        .having(func.sum(Posting.amount) != 0)
        .order_by(Posting.entry_id)
    )
    posted = (
        select(Posting.account_id, func.sum(Posting.amount).label("amount"))
        .group_by(Posting.account_id)
        .subquery()
    )
    drifted = await session.scalars(
        select(Account.id)
        .outerjoin(posted, posted.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(posted.c.amount, 0))
        .order_by(Account.id)
    )
    return LedgerCheck(
        total=total,  # type: ignore[arg-type]
        unbalanced_entries=list(unbalanced),
        drifted_accounts=list(drifted),
    )
