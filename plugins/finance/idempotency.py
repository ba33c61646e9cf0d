"""Idempotency keys: a money mutation retried with its key moves money once.

The key is claimed first, with an atomic insert: of two requests with the same
key at once, one claims it and the other waits (PostgreSQL holds it on the
unique index until the first commits; SQLite serialises write transactions),
then finds the first one's result. A request that fails gives the key back with
its rollback, so a corrected retry may use it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.db import INSERTS
from core.errors import BusinessError
from core.validation import has_control_characters
from plugins.finance.models import IDEMPOTENCY_KEY_MAX, IdempotencyKey


def fingerprint(operation: str, user_id: int | None, **fields: Any) -> str:
    """What a request asked, in 64 hex characters: the same operation, caller and input
    give the same fingerprint."""
    asked = json.dumps([operation, user_id, fields], sort_keys=True, default=str)
    return hashlib.sha256(asked.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A claimed key (``replayed`` False: go ahead), or the earlier result to return:
    the journal entry it posted and the account it opened, if any."""

    key: str
    replayed: bool = False
    entry_id: int | None = None
    account_id: int | None = None


_KEYS = IdempotencyKey.__table__  # type: ignore[attr-defined]


def _claim(insert: Any) -> Any:
    return (
        insert(_KEYS)
        .values(
            key=bindparam("claimed_key"),
            fingerprint=bindparam("asked"),
            created_at=bindparam("claimed_at"),
        )
        .on_conflict_do_nothing(index_elements=[_KEYS.c.key])
        .returning(_KEYS.c.key)
    )


_CLAIM = {dialect: _claim(insert) for dialect, insert in INSERTS.items()}
_RECORD = (
    update(_KEYS)
    .where(_KEYS.c.key == bindparam("claimed_key"))
    .values(entry_id=bindparam("entry_id"), account_id=bindparam("account_id"))
)
"""Built once, for each database, on the table (every money mutation claims and
records a key): see ``core.db`` on hot statements."""


def _checked(key: str) -> str:
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or has_control_characters(key):
        raise BusinessError(
            "INVALID_IDEMPOTENCY_KEY",
            f"The idempotency key must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters.",
            ["input", "idempotencyKey"],
        )
    return key


async def claim(session: AsyncSession, key: str, asked: str) -> Claim:
    """Claim ``key`` for a request whose fingerprint is ``asked``; refuse a key
    already used for something else."""
    key = _checked(key)
    claimed = await session.scalar(
        _CLAIM[session.bind.dialect.name],
        {"claimed_key": key, "asked": asked, "claimed_at": utcnow()},
    )
    if claimed is not None:
        return Claim(key)
    earlier = await session.get_one(IdempotencyKey, key, populate_existing=True)
    if earlier.fingerprint != asked:
        raise BusinessError(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was used for a different request; use a new key.",
            ["input", "idempotencyKey"],
        )
    return Claim(key, replayed=True, entry_id=earlier.entry_id, account_id=earlier.account_id)


async def record(
    session: AsyncSession, claimed: Claim, *, entry_id: int | None, account_id: int | None = None
) -> None:
    """Remember what the claimed key's request did."""
    await session.execute(
        _RECORD, {"claimed_key": claimed.key, "entry_id": entry_id, "account_id": account_id}
    )
