"""Schema-wide extensions: the request's unit of work, and error masking."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from core.context import Context
from core.db import Mode

log = logging.getLogger("crm.graphql")


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
        async with database.session(Mode.WRITE if is_mutation else Mode.READ) as session:
            context._session = session
            try:
                if context.token:
                    answer = context.runtime.plugins.hook.crm_authenticate(
                        context=context, token=context.token
                    )
                    context.principal = await answer if answer is not None else None
                yield
            finally:
                await session.rollback()
                context._session = None


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors that come from a bug or an outage, not from the caller's request."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replace unexpected errors with a generic message (logged in full, never sent)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


ExtensionFactory = Callable[[], SchemaExtension] | type[SchemaExtension]
