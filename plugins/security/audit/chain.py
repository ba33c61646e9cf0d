"""Appending to the audit chain, and the digest that links it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEntry
from core.columns import utcnow
from core.db import insert_for
from plugins.security.audit.models import AuditHead, AuditObject, AuditRecord

HEAD = 1
OBJECTS_MAX = 200
"""A record names at most this many objects (a bulk read names the first)."""

_RECORDS = AuditRecord.__table__  # type: ignore[attr-defined]
_OBJECTS = AuditObject.__table__  # type: ignore[attr-defined]
_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_RECORD = insert(_RECORDS).values(
    {
        column.name: bindparam(f"record_{column.name}", type_=column.type)
        for column in _RECORDS.columns
    }
)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD)
    .values(seq=bindparam("record_seq"), hash=bindparam("record_hash"))
)
_APPEND = _MOVE_HEAD.add_cte(_RECORD.cte("record")).add_cte(
    insert(_OBJECTS)
    .from_select(
        ["object_id", "seq"],
        select(
            func.unnest(bindparam("named_objects", type_=ARRAY(_OBJECTS.c.object_id.type))),
            bindparam("record_seq"),
        ),
    )
    .cte("objects")
)
"""PostgreSQL: the record, its objects and the head moved on, in one statement
whose text does not depend on the number of objects (so it is compiled once)."""


def content(record: AuditRecord) -> dict[str, Any]:
    """What the digest covers: everything but the digest itself."""
    return {
        "seq": record.seq,
        "at": record.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "user_id": record.user_id,
        "username": record.username,
        "roles": record.roles,
        "branch_id": record.branch_id,
        "kind": record.kind,
        "operation": record.operation,
        "outcome": record.outcome,
        "objects": record.objects,
        "arguments": record.arguments,
        "request_id": record.request_id,
        "client_address": record.client_address,
    }


def digest(previous_hash: str, record: AuditRecord) -> str:
    """SHA-256 of the previous hash and the record's canonical JSON."""
    canonical = json.dumps(
        content(record), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


async def append(
    session: AsyncSession, actor: Actor, entry: AuditEntry, at: datetime | None = None
) -> AuditRecord:
    """Add ``entry`` at the end of the chain, in ``session``'s transaction.

    Every mutation appends, and appends take turns on the head from its lock to
    the commit, so the turn is kept short: the head is read and locked, then the
    record, its objects and the new head are written in plain SQL, in one
    statement on PostgreSQL (data-modifying ``WITH``s) and in three on SQLite,
    whose write transaction holds the whole database anyway.
    """
    seq, previous_hash = await _locked_head(session)
    objects = list(entry.objects[:OBJECTS_MAX])
    record = AuditRecord(
        seq=seq + 1,
        at=at or utcnow(),
        user_id=actor.user_id,
        username=actor.username,
        roles=",".join(actor.roles),
        branch_id=actor.branch_id,
        kind=entry.kind.value,
        operation=entry.operation,
        outcome=entry.outcome,
        objects=objects,
        arguments=dict(entry.arguments),
        request_id=actor.request_id,
        client_address=actor.client_address,
        previous_hash=previous_hash,
        hash="",
    )
    record.hash = digest(previous_hash, record)
    written = {f"record_{c.name}": getattr(record, c.name) for c in _RECORDS.columns}
    if session.bind.dialect.name == "postgresql":
        await session.execute(_APPEND, {**written, "named_objects": objects})
        return record
    await session.execute(_RECORD, written)
    if objects:
        await session.execute(
            insert(_OBJECTS), [{"object_id": o, "seq": record.seq} for o in objects]
        )
    await session.execute(_MOVE_HEAD, written)
    return record


async def _locked_head(session: AsyncSession) -> tuple[int, str]:
    """The chain's last number and hash, its head locked until the transaction
    ends (appends take turns from here to their commit); the head is made by
    the first append there ever is."""
    locked = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD).with_for_update()
    head = (await session.execute(locked)).one_or_none()
    if head is None:
        await session.execute(
            insert_for(session, AuditHead)
            .values(id=HEAD)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = (await session.execute(locked)).one()
    return head.seq, head.hash
