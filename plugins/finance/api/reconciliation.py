"""Reconciliation in GraphQL: the exceptions to work and the clearing
statements, for staff with the reconciliation permissions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import Select, false, select
from strawberry import relay
from strawberry.types import Info

from core.business_day import open_business_date
from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import CountedConnection, keyset_page
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer
from plugins.finance import loaders
from plugins.finance.api.accounts import Account
from plugins.finance.permissions import (
    RECONCILIATION_READ,
    RECONCILIATION_RUN,
    RECONCILIATION_WORK,
)
from plugins.finance.reconciliation import loaders as reconciliation_loaders
from plugins.finance.reconciliation import models
from plugins.finance.reconciliation.describe import describe, reference_of
from plugins.finance.reconciliation.matching import import_statement
from plugins.finance.reconciliation.models import ExceptionKind, ExceptionStatus
from plugins.finance.reconciliation.run import reconcile_day
from plugins.finance.reconciliation.scope import exceptions_in_scope
from plugins.finance.reconciliation.work import Change, work_exception
from plugins.security import loaders as staff_loaders
from plugins.security.types import User

strawberry.enum(ExceptionKind, name="ReconciliationExceptionKind")
strawberry.enum(ExceptionStatus, name="ReconciliationExceptionStatus")


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency or "CNY")


@strawberry.type(description="A note on a reconciliation exception, with any change made with it.")
class ReconciliationNote:
    text: str
    status: ExceptionStatus | None
    written_at: datetime

    @strawberry.field
    async def written_by(
        self, root: strawberry.Parent[models.ExceptionNote], info: Info
    ) -> User | None:
        return await info.context.loader(staff_loaders.users_by_id).load(root.written_by)

    @strawberry.field
    async def assignee(
        self, root: strawberry.Parent[models.ExceptionNote], info: Info
    ) -> User | None:
        if root.assignee_id is None:
            return None
        return await info.context.loader(staff_loaders.users_by_id).load(root.assignee_id)


@strawberry.type(
    description="Something reconciliation found: a break in the books, a difference from the "
    "clearing side's statement, or an anomaly; worked from OPEN to RESOLVED."
)
class ReconciliationException(relay.Node):
    id: relay.NodeID[int]
    kind: ExceptionKind
    status: ExceptionStatus
    found_on: date = strawberry.field(description="The business date it was found for.")
    last_seen_on: date = strawberry.field(description="The last run that still found it.")
    movements: int | None
    counterparty: str | None
    created_at: datetime
    resolved_at: datetime | None

    is_type_of = model_type_check(models.ReconciliationException)

    @strawberry.field(description="What was found, in words.")
    def description(self, root: strawberry.Parent[models.ReconciliationException]) -> str:
        return describe(root)

    @strawberry.field(description="The transaction reference (流水号) at issue, if any.")
    def reference(self, root: strawberry.Parent[models.ReconciliationException]) -> str | None:
        return reference_of(root)

    @strawberry.field(description="The figure at issue.")
    def amount(self, root: strawberry.Parent[models.ReconciliationException]) -> Money | None:
        return _money(root.amount, root.currency)

    @strawberry.field(
        description="The figure it was compared with, or what went out (PASS_THROUGH)."
    )
    def other_amount(self, root: strawberry.Parent[models.ReconciliationException]) -> Money | None:
        return _money(root.other_amount, root.currency)

    @strawberry.field
    async def account(
        self, root: strawberry.Parent[models.ReconciliationException], info: Info
    ) -> Account | None:
        if root.account_id is None:
            return None
        return await info.context.loader(loaders.accounts_by_id).load(root.account_id)

    @strawberry.field
    async def customer(
        self, root: strawberry.Parent[models.ReconciliationException], info: Info
    ) -> Customer | None:
        if root.customer_id is None:
            return None
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)

    @strawberry.field
    async def assignee(
        self, root: strawberry.Parent[models.ReconciliationException], info: Info
    ) -> User | None:
        if root.assignee_id is None:
            return None
        return await info.context.loader(staff_loaders.users_by_id).load(root.assignee_id)

    @strawberry.field(description="Oldest first.")
    async def notes(
        self, root: strawberry.Parent[models.ReconciliationException], info: Info
    ) -> list[ReconciliationNote]:
        return await info.context.loader(reconciliation_loaders.notes_by_exception).load(root.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.ReconciliationException | None]:
        if not info.context.user.can(RECONCILIATION_READ):
            return [None for _ in node_ids]
        return await info.context.loader(reconciliation_loaders.exceptions_by_id).load_many(
            int_ids(node_ids)
        )


@strawberry.type
class ReconciliationExceptionEdge:
    cursor: str
    node: ReconciliationException


@strawberry.type
class ReconciliationExceptionConnection(CountedConnection):
    edges: list[ReconciliationExceptionEdge]
    page_info: relay.PageInfo


@strawberry.input
class ReconciliationExceptionFilter:
    status: list[ExceptionStatus] | None = None
    kind: list[ExceptionKind] | None = None
    found_from: date | None = None
    found_to: date | None = None
    assignee_id: relay.GlobalID | None = None


@strawberry.type(description="The clearing side's statement of a business date, as matched.")
class ClearingStatement:
    business_date: date
    file_name: str
    lines: int
    matched: int
    missing_on_our_side: int
    missing_on_their_side: int
    amount_mismatches: int
    imported_at: datetime


@strawberry.type
class ReconciliationQuery:
    @query(permission=RECONCILIATION_READ)
    async def reconciliation_exceptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ReconciliationExceptionFilter | None = None,
    ) -> ReconciliationExceptionConnection:
        """Reconciliation exceptions you may see, newest first: those about your
        customers, and, for head office, those about the bank's own books."""
        context: Context = info.context
        table = models.ReconciliationException
        statement = select_exceptions(context, filter)
        page = await keyset_page(
            context.session,
            statement,
            table.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return ReconciliationExceptionConnection(
            edges=page.edges(ReconciliationExceptionEdge),
            page_info=page.page_info,
            counted=statement,
        )

    @query(permission=RECONCILIATION_READ)
    async def clearing_statement(self, info: Info, business_date: date) -> ClearingStatement | None:
        """The clearing statement imported for a business date, if any (head office)."""
        context: Context = info.context
        if not context.user.scope.is_everything:
            return None
        return await context.loader(reconciliation_loaders.statements_by_date).load(business_date)  # type: ignore[return-value]


def select_exceptions(
    context: Context, filter: ReconciliationExceptionFilter | None
) -> Select[tuple[models.ReconciliationException]]:
    table = models.ReconciliationException
    statement = select(table).where(exceptions_in_scope(context.user))
    if filter is None:
        return statement
    if filter.status:
        statement = statement.where(table.status.in_(filter.status))  # type: ignore[attr-defined]
    if filter.kind:
        statement = statement.where(table.kind.in_(filter.kind))  # type: ignore[attr-defined]
    if filter.found_from is not None:
        statement = statement.where(table.found_on >= filter.found_from)
    if filter.found_to is not None:
        statement = statement.where(table.found_on <= filter.found_to)
    if filter.assignee_id is not None:
        assignee = node_id(filter.assignee_id, "User")
        statement = statement.where(
            table.assignee_id == assignee if assignee is not None else false()
        )
    return statement


@strawberry.input
class UpdateReconciliationExceptionInput:
    id: relay.GlobalID
    status: ExceptionStatus | None = None
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Someone who may work reconciliation exceptions."
    )
    note: str | None = strawberry.field(
        default=None, description="Required when resolving, or reopening what was resolved."
    )


@strawberry.type
class ReconciliationExceptionPayload:
    exception: ReconciliationException | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RunReconciliationInput:
    business_date: date


@strawberry.type(description="What one check of a reconciliation run found.")
class ReconciliationFinding:
    kind: ExceptionKind
    total: int = strawberry.field(description="Found by this run.")
    new: int = strawberry.field(description="Of those, not already being worked.")


@strawberry.type
class RunReconciliationPayload:
    findings: list[ReconciliationFinding] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ImportClearingStatementInput:
    business_date: date
    file_name: str
    content: str = strawberry.field(
        description="The CSV file: reference, value date, amount, direction (CREDIT or DEBIT), "
        "counterparty; one movement per line, a header line allowed."
    )


@strawberry.type(description="A line of a statement file that cannot be read.")
class StatementLineError:
    line: int
    message: str


@strawberry.type
class ImportClearingStatementPayload:
    statement: ClearingStatement | None = None
    bad_lines: list[StatementLineError] = strawberry.field(
        default_factory=list, description="Up to 100 of them; `errors` says how many in all."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReconciliationMutation:
    @mutation(permission=RECONCILIATION_WORK)
    async def update_reconciliation_exception(
        self, info: Info, input: UpdateReconciliationExceptionInput
    ) -> ReconciliationExceptionPayload:
        """Assign, note, investigate or resolve an exception."""
        context: Context = info.context
        found = await work_exception(
            context.session,
            context.runtime,
            context.user,
            node_id(input.id, "ReconciliationException"),
            Change(
                status=input.status,
                assignee_id=node_id(input.assignee_id, "User") if input.assignee_id else None,
                note=input.note,
            ),
        )
        return ReconciliationExceptionPayload(exception=found)  # type: ignore[arg-type]

    @mutation(permission=RECONCILIATION_RUN)
    async def run_reconciliation(
        self, info: Info, input: RunReconciliationInput
    ) -> RunReconciliationPayload:
        """Check the books and screen a date's movements again; what is already
        being worked is not recorded twice."""
        context: Context = info.context
        if input.business_date > await open_business_date(
            context.session, context.runtime.settings
        ):
            raise BusinessError(
                "INVALID_DATE", "That business date has not come yet.", ["input", "businessDate"]
            )
        found = await reconcile_day(context.session, input.business_date)
        return RunReconciliationPayload(
            findings=[ReconciliationFinding(kind=f.kind, total=f.total, new=f.new) for f in found]
        )

    @mutation(permission=RECONCILIATION_RUN)
    async def import_clearing_statement(
        self, info: Info, input: ImportClearingStatementInput
    ) -> ImportClearingStatementPayload:
        """Match the clearing side's statement of a closed business date against
        our postings; every difference becomes an exception. A file with bad
        lines is refused whole, each bad line reported."""
        context: Context = info.context
        imported = await import_statement(
            context.session,
            context.runtime.settings,
            input.business_date,
            input.file_name,
            input.content,
            context.user.user_id,
        )
        if imported.statement is not None:
            return ImportClearingStatementPayload(statement=imported.statement)  # type: ignore[arg-type]
        return ImportClearingStatementPayload(
            bad_lines=[
                StatementLineError(line=b.line_no, message=b.message) for b in imported.bad_rows
            ],
            errors=[
                UserError(
                    field=["input", "content"],
                    message=f"{imported.bad_row_count} lines of the file cannot be read; "
                    "nothing was imported.",
                    code="INVALID_STATEMENT_FILE",
                )
            ],
        )
