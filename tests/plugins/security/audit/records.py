"""Reading and tampering with the audit log in tests, as an intruder with
database access would."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from core.db import Mode
from core.runtime import Runtime
from plugins.security.audit.models import AuditObject, AuditRecord
from plugins.security.audit.verify import Verdict, verify_chain


def personal_data_audit(runtime: Runtime) -> int:
    """Statements that record a request's reads of unmasked personal data: on
    PostgreSQL one (the head moved on, the record and the objects it names); on
    SQLite four (the head read, then the record, its objects and the head)."""
    return 4 if runtime.database.is_sqlite else 1


async def audit_records(runtime: Runtime, operation: str | None = None) -> list[AuditRecord]:
    async with runtime.database.transaction(Mode.READ) as session:
        statement = select(AuditRecord).order_by(AuditRecord.seq)
        if operation is not None:
            statement = statement.where(AuditRecord.operation == operation)
        return list(await session.scalars(statement))


async def verdict(runtime: Runtime) -> Verdict:
    async with runtime.database.transaction(Mode.READ) as session:
        return await verify_chain(session)


async def edit(runtime: Runtime, number: int, **values: object) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(AuditRecord).where(AuditRecord.seq == number).values(**values))


async def swap(runtime: Runtime, first: int, second: int) -> None:
    """Exchange two records' places: each takes the other's content, hashes included."""
    records = {r.seq: r for r in await audit_records(runtime)}
    moved = ("at", "username", "operation", "outcome", "arguments", "previous_hash", "hash")
    one, other = records[first], records[second]
    await edit(runtime, first, hash="-", **{c: getattr(other, c) for c in moved if c != "hash"})
    await edit(runtime, second, **{c: getattr(one, c) for c in moved})
    await edit(runtime, first, hash=other.hash)


async def remove(runtime: Runtime, seq: int) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(delete(AuditObject).where(AuditObject.seq == seq))
        await session.execute(delete(AuditRecord).where(AuditRecord.seq == seq))
