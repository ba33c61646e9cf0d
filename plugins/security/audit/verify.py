"""Proving the audit chain: every record's digest recomputed, in order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.security.audit.chain import HEAD, digest
from plugins.security.audit.models import GENESIS, AuditHead, AuditRecord

BATCH = 1000


@dataclass(frozen=True)
class Verdict:
    """How many records were checked, and the first broken one (None: intact)."""

    checked: int
    broken_at: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify_chain(session: AsyncSession) -> Verdict:
    """Walk the chain from the first record; stop at the first break.

    A record is broken when its number is not the next one (a record before
    it was deleted, or records were reordered), when it does not name the
    previous record's hash, or when its content no longer gives its hash (it
    was edited). The last record must be the head's: a deleted tail is caught.
    """
    expected_seq, previous = 1, GENESIS
    checked = 0
    rows = await session.stream_scalars(select(AuditRecord).order_by(AuditRecord.seq))
    async for record in rows:
        if record.seq != expected_seq:
            return Verdict(checked, expected_seq, f"record {expected_seq} is missing")
        if record.previous_hash != previous:
            return Verdict(checked, record.seq, "it does not follow the record before it")
        if digest(previous, record) != record.hash:
            return Verdict(checked, record.seq, "its content does not match its hash")
        previous, expected_seq, checked = record.hash, expected_seq + 1, checked + 1
    head = await session.get(AuditHead, HEAD)
    last = head.seq if head is not None else 0
    if last != checked or (head is not None and head.hash != previous):
        return Verdict(checked, checked + 1, f"the chain ends at {checked}, its head at {last}")
    return Verdict(checked)
