"""Schema-wide extensions: the request's unit of work, and error masking.

A failure of the database itself (down, restarting, locked, a deadlock's
victim) is no bug of the request: wherever it happens in a request (signing
the caller in, a resolver, the audit of a personal-data read) the client is
told ``DATABASE_UNAVAILABLE`` or ``DATABASE_BUSY`` with ``retryable: true``
and a ``Retry-After`` header, and HTTP 503 when nothing of the answer could be
had (as a rate-limited operation gets 429); never an internal error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    validate,
)
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from core.audit import record_personal_data_read
from core.context import Context
from core.database_errors import DatabaseBusy, DatabaseUnavailable, database_failure
from core.db import Mode
from core.errors import RequestError

log = logging.getLogger("crm.graphql")
INTERNAL_ERROR = "Internal server error."
OPERATION_MAX = 100
RETRY_AFTER = {failure.code: failure.retry_after for failure in (DatabaseBusy, DatabaseUnavailable)}
"""Seconds to wait before retrying, by the code of a retryable error."""


def ask_to_retry(context: Context, errors: list[GraphQLError], *, answered: bool) -> None:
    """Put ``Retry-After`` on the response when ``errors`` hold a retryable one;
    and 503 when nothing was ``answered`` (the whole operation failed)."""
    waits = [
        RETRY_AFTER[code]
        for error in errors
        if (code := (error.extensions or {}).get("code")) in RETRY_AFTER
    ]
    if not waits or context.response is None:
        return
    context.response.headers["Retry-After"] = str(max(waits))
    if not answered:
        context.response.status_code = 503


def refusal_for(error: Exception, what: str, context: Context) -> RequestError:
    """The error a client gets when ``what`` failed with ``error`` outside any
    resolver: the database's failure as such, anything else masked (and logged
    in full)."""
    failure = database_failure(error)
    if failure is not None:
        log.warning(
            "%s failed: %s: %s",
            what,
            failure.code,
            type(error).__name__,
            extra={"request_id": context.request_id},
        )
        refusal: RequestError = type(failure)()
    else:
        log.exception("%s failed", what, extra={"request_id": context.request_id})
        refusal = RequestError(INTERNAL_ERROR, "INTERNAL_SERVER_ERROR")
    ask_to_retry(context, [refusal], answered=False)
    return refusal


class UnitOfWork(SchemaExtension):
    """Open the request's database session around execution and sign the caller in.

    A query runs in one read-only snapshot; a mutation in write mode, each of its
    root fields committing on its own (see ``core.graphql.RunInTransaction``).
    Whatever is left uncommitted at the end is rolled back.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        is_mutation = self.execution_context.operation_type is OperationType.MUTATION
        database = context.runtime.database
        session = database.session(Mode.WRITE if is_mutation else Mode.READ)
        context.attach(session)
        try:
            if context.token:
                await self._sign_in(context)
            yield
        finally:
            context.attach(None)
            # The loaders refer to the context that holds them: without this the
            # rows they hold would wait for the cyclic collector.
            context.forget_loaded()
            try:
                await session.close()  # rolls back whatever is left uncommitted
            except Exception as error:
                if database_failure(error) is None:
                    log.exception("closing the request's database session failed")
                else:  # its connection went with the database: said once, not traced
                    log.warning(
                        "closing the request's database session failed: %s", type(error).__name__
                    )
        if context.personal_data_read:
            # Personal data is shown only once its reading is on record: if the
            # record cannot be written, the answer is withheld.
            try:
                await record_personal_data_read(context, self._operation())
            except Exception as error:
                raise refusal_for(error, "recording a personal-data read", context) from error
        for work in context.afterwards:
            try:
                await work()
            except Exception:  # bookkeeping: the answer stands without it
                log.exception(
                    "work after the request failed", extra={"request_id": context.request_id}
                )

    def _operation(self) -> str:
        """The operation's name, or its root fields' (``customer,accounts``)."""
        execution = self.execution_context
        return (execution.operation_name or "")[:OPERATION_MAX] or root_fields(execution)

    @staticmethod
    async def _sign_in(context: Context) -> None:
        """Turn the bearer token into the principal; an outage here is told as
        such, a bug masked."""
        try:
            answer = context.runtime.plugins.hook.crm_authenticate(
                context=context, token=context.token
            )
            context.principal = await answer if answer is not None else None
        except Exception as error:
            raise refusal_for(error, "signing the caller in", context) from error


def root_fields(execution: ExecutionContext) -> str:
    """The root fields an operation selects, sorted (``accounts,customer``):
    a name for it that only the schema decides."""
    document = execution.graphql_document
    if document is None:
        return "invalid"
    roots = sorted(
        {
            selection.name.value
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode)
            for selection in definition.selection_set.selections
            if isinstance(selection, FieldNode)
        }
    )
    return ",".join(roots)[:OPERATION_MAX] or "anonymous"


class OperationMetrics(SchemaExtension):
    """Count and time each operation once (never each field) for ``/metrics``."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        execution = self.execution_context
        context: Context = execution.context
        result = execution.result
        errors = getattr(result, "errors", None) or execution.pre_execution_errors or []
        outcome = "OK"
        if errors:
            outcome = (errors[0].extensions or {}).get("code", "ERROR")
        try:
            kind = execution.operation_type.value
        except Exception:  # a document that did not parse has no type
            kind = "unknown"
        context.runtime.metrics.observe_operation(
            root_fields(execution), kind, outcome, time.perf_counter() - started
        )


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors that come from a bug or an outage, not from the caller's request."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replace unexpected errors with a generic message (logged in full, never
    sent); the database's own failures with the retryable error that names
    them (``core.database_errors.database_failure``), asking the client to retry."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_ERROR)

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            answered = getattr(result, "data", None) is not None
            ask_to_retry(self.execution_context.context, errors, answered=answered)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        assert error.original_error is not None  # is_unexpected
        failure = database_failure(error.original_error)
        masked = super().anonymise_error(error)
        if failure is None:
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)
            masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
            return masked
        log.warning(
            "the database failed at %s: %s: %s",
            error.path,
            failure.code,
            type(error.original_error).__name__,
        )
        masked.message = failure.message
        masked.extensions = dict(failure.extensions or {})
        return masked


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, rules, hide_suggestions=hide_suggestions)


class CachedValidation(SchemaExtension):
    """Validate each distinct document once (``ParserCache`` hands back the same
    parsed document for the same text), and in production without "Did you
    mean ...?" suggestions, which would reveal what disabled introspection hides."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        if context.pre_execution_errors is not None:  # refused already (QueryCostLimit)
            yield
            return
        context.pre_execution_errors = _validate(
            context.schema._schema,
            context.graphql_document,
            tuple(context.validation_rules),
            self.hide_suggestions,
        )
        yield


ExtensionFactory = Callable[[], SchemaExtension] | type[SchemaExtension]
