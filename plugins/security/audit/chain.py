"""Appending to the audit chain, and the digest that links it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditEntry
from core.columns import utcnow
from core.db import insert_for
from plugins.security.audit.models import AuditHead, AuditObject, AuditRecord

HEAD = 1
OBJECTS_MAX = 200
"""A record names at most this many objects (a bulk read names the first)."""


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
    """Add ``entry`` at the end of the chain, in ``session``'s transaction."""
    head = await _locked_head(session)
    objects = list(entry.objects[:OBJECTS_MAX])
    record = AuditRecord(
        seq=head.seq + 1,
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
        previous_hash=head.hash,
        hash="",
    )
    record.hash = digest(head.hash, record)
    session.add(record)
    head.seq, head.hash = record.seq, record.hash
    session.add(head)
    await session.flush()
    if objects:
        await session.execute(
            insert(AuditObject), [{"object_id": o, "seq": record.seq} for o in objects]
        )
    return record


async def _locked_head(session: AsyncSession) -> AuditHead:
    """The chain's head, locked until the transaction ends (appends take turns
    from here to their commit); made by the first append there ever is."""
    locked = (
        select(AuditHead)
        .where(AuditHead.id == HEAD)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = await session.scalar(locked)
    if head is None:
        await session.execute(
            insert_for(session, AuditHead)
            .values(id=HEAD)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = await session.scalar(locked)
    assert head is not None
    return head
