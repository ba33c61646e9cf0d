"""Working an exception: assigning it, noting what was found, moving it
through OPEN, INVESTIGATING and RESOLVED. Resolving, and reopening what was
resolved, need a note saying why; every change is kept as a note."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.row_lock import locked_row
from core.runtime import Runtime
from core.validation import clean_text
from plugins.finance.permissions import RECONCILIATION_WORK
from plugins.finance.reconciliation.models import (
    NOTE_MAX,
    ExceptionNote,
    ExceptionStatus,
    ReconciliationException,
)
from plugins.finance.reconciliation.scope import exceptions_in_scope
from plugins.security.services import active_user_may


@dataclass(frozen=True)
class Change:
    status: ExceptionStatus | None = None
    assignee_id: int | None = None
    note: str | None = None


async def work_exception(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    exception_id: int | None,
    change: Change,
) -> ReconciliationException:
    found = await locked_row(
        session, ReconciliationException, exception_id, exceptions_in_scope(principal)
    )
    if found is None:
        raise BusinessError(
            "RECONCILIATION_EXCEPTION_NOT_FOUND", "There is no such exception.", ["input", "id"]
        )
    note = clean_text(
        change.note or "", field=["input", "note"], max_length=NOTE_MAX, required=False
    )
    status = change.status if change.status is not found.status else None
    if status is None and change.assignee_id is None and not note:
        raise BusinessError(
            "NOTHING_TO_CHANGE", "Give a new status, an assignee or a note.", ["input"]
        )
    resolving = status is ExceptionStatus.RESOLVED
    reopening = status is not None and found.status is ExceptionStatus.RESOLVED
    if not note and (resolving or reopening):
        raise BusinessError(
            "NOTE_REQUIRED", "Say why, when resolving or reopening an exception.", ["input", "note"]
        )
    if change.assignee_id is not None:
        await _check_assignee(session, runtime, change.assignee_id)
        found.assignee_id = change.assignee_id
    if status is not None:
        found.status = status
        found.resolved_at = utcnow() if status is ExceptionStatus.RESOLVED else None
    session.add(found)
    session.add(
        ExceptionNote(
            exception_id=found.id,  # type: ignore[arg-type]
            text=note,
            status=status,
            assignee_id=change.assignee_id,
            written_by=principal.user_id,
        )
    )
    await session.flush()
    return found


async def _check_assignee(session: AsyncSession, runtime: Runtime, user_id: int) -> None:
    """An exception goes to an active user who may work exceptions."""
    if not await active_user_may(session, runtime.permissions, user_id, RECONCILIATION_WORK):
        raise BusinessError(
            "INVALID_ASSIGNEE",
            "The assignee must be an active user who may work reconciliation exceptions.",
            ["input", "assigneeId"],
        )
