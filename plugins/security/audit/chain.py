"""Appending to the audit chain, and the digest that links it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    LargeBinary,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
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
    .values(
        seq=bindparam("record_seq"),
        previous_hash=bindparam("record_previous_hash"),
        hash=bindparam("record_hash"),
    )
)


def _utf8(text: Any) -> Any:
    return func.convert_to(text, literal_column("'UTF8'"))


_NEXT = _HEAD.c.seq + 1
_NUMBERED = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD)
    .values(
        seq=_NEXT,
        previous_hash=_HEAD.c.hash,
        hash=func.encode(
            func.sha256(
                _utf8(_HEAD.c.hash.concat("\n"))
                .op("||")(bindparam("before", type_=LargeBinary))
                .op("||")(_utf8(cast(_NEXT, Text)))
                .op("||")(bindparam("after", type_=LargeBinary))
            ),
            literal_column("'hex'"),
        ),
    )
    .returning(_HEAD.c.seq, _HEAD.c.previous_hash, _HEAD.c.hash)
    .cte("head")
)
_FROM_HEAD = {"seq", "previous_hash", "hash"}
_APPEND = (
    select(_NUMBERED.c.seq, _NUMBERED.c.previous_hash, _NUMBERED.c.hash)
    .add_cte(
        insert(_RECORDS)
        .from_select(
            [column.name for column in _RECORDS.columns],
            select(
                *(
                    _NUMBERED.c[column.name]
                    if column.name in _FROM_HEAD
                    else bindparam(f"record_{column.name}", type_=column.type)
                    for column in _RECORDS.columns
                )
            ),
        )
        .cte("record")
    )
    .add_cte(
        insert(_OBJECTS)
        .from_select(
            ["object_id", "seq"],
            select(
                func.unnest(bindparam("named_objects", type_=ARRAY(_OBJECTS.c.object_id.type))),
                _NUMBERED.c.seq,
            ),
        )
        .cte("objects")
    )
)
"""PostgreSQL: the head moved on, with the new record's digest computed from
its hash (:func:`around_seq`), then the record and its objects, in one
statement whose text does not depend on the number of objects (so it is
compiled once)."""


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


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(previous_hash: str, record: AuditRecord) -> str:
    """SHA-256 of the previous hash and the record's canonical JSON."""
    return hashlib.sha256(f"{previous_hash}\n{_canonical(content(record))}".encode()).hexdigest()


def around_seq(record: AuditRecord) -> tuple[str, str]:
    """The record's canonical JSON in two parts, before and after its number,
    for a digest computed where the number is given: ``before + str(seq) +
    after`` is the canonical JSON (its keys are sorted, so ``seq`` splits it)."""
    fields = content(record)
    del fields["seq"]
    before = _canonical({key: value for key, value in fields.items() if key < "seq"})
    after = _canonical({key: value for key, value in fields.items() if key > "seq"})
    return f'{before[:-1]},"seq":', f",{after[1:]}"


async def append(
    session: AsyncSession, actor: Actor, entry: AuditEntry, at: datetime | None = None
) -> AuditRecord:
    """Add ``entry`` at the end of the chain, in ``session``'s transaction.

    Every mutation appends, and appends take turns on the head from the moment
    they lock it to their commit, so that turn is kept short. On PostgreSQL it
    is one statement: the head is locked by moving it on, the new record's
    digest is computed there from the head's hash (the record's content is
    sent in two parts around the number it gets), and the record and its
    objects are written. On SQLite, whose write transaction holds the whole
    database anyway, the head is read, the digest computed here, and the
    record, its objects and the head written in three statements.
    """
    objects = list(entry.objects[:OBJECTS_MAX])
    record = AuditRecord(
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
    )
    if session.bind.dialect.name == "postgresql":
        await _append_numbered_by_the_database(session, record)
        return record
    seq, previous_hash = await _head(session)
    record.seq, record.previous_hash = seq + 1, previous_hash
    record.hash = digest(previous_hash, record)
    written = {f"record_{c.name}": getattr(record, c.name) for c in _RECORDS.columns}
    await session.execute(_RECORD, written)
    if objects:
        await session.execute(
            insert(_OBJECTS), [{"object_id": o, "seq": record.seq} for o in objects]
        )
    await session.execute(_MOVE_HEAD, written)
    return record


async def _append_numbered_by_the_database(session: AsyncSession, record: AuditRecord) -> None:
    before, after = around_seq(record)
    written = {
        f"record_{c.name}": getattr(record, c.name)
        for c in _RECORDS.columns
        if c.name not in _FROM_HEAD
    }
    parameters = {
        **written,
        "before": before.encode(),
        "after": after.encode(),
        "named_objects": record.objects,
    }
    numbered = (await session.execute(_APPEND, parameters)).one_or_none()
    if numbered is None:  # the very first append there ever is
        await _make_head(session)
        numbered = (await session.execute(_APPEND, parameters)).one()
    record.seq, record.previous_hash, record.hash = numbered


async def _head(session: AsyncSession) -> tuple[int, str]:
    """SQLite: the chain's last number and hash (the head is made by the first
    append there ever is)."""
    read = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD)
    head = (await session.execute(read)).one_or_none()
    if head is None:
        await _make_head(session)
        head = (await session.execute(read)).one()
    return head.seq, head.hash


async def _make_head(session: AsyncSession) -> None:
    await session.execute(
        insert_for(session, AuditHead).values(id=HEAD).on_conflict_do_nothing(index_elements=["id"])
    )
