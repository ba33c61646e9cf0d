"""Finding audit records: by user, operation, object and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from plugins.security.audit.models import AuditObject, AuditRecord


@dataclass(frozen=True)
class AuditSearch:
    user_id: int | None = None
    operation: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    before: datetime | None = None


def audit_records(search: AuditSearch) -> Select[tuple[AuditRecord]]:
    """The records ``search`` selects (unordered)."""
    statement = select(AuditRecord)
    if search.user_id is not None:
        statement = statement.where(AuditRecord.user_id == search.user_id)
    if search.operation is not None:
        statement = statement.where(AuditRecord.operation == search.operation)
    if search.object_id is not None:
        statement = statement.where(
            AuditRecord.seq.in_(  # type: ignore[attr-defined]
                select(AuditObject.seq).where(AuditObject.object_id == search.object_id)
            )
        )
    if search.since is not None:
        statement = statement.where(AuditRecord.at >= search.since)
    if search.before is not None:
        statement = statement.where(AuditRecord.at < search.before)
    return statement
