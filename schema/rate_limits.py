"""The budgets only GraphQL can count: per signed-in user, and sign-in attempts.

The per-address request budget is spent in front of ``/graphql``
(``core.request_limits``), before the body is read. Who the caller is and
how many ``login`` fields an operation holds are known only once it is
parsed and the token is checked, so this extension runs after
``UnitOfWork`` signs the caller in and before any resolver: a refused
operation runs nothing and writes nothing, and its answer is HTTP 429 with
``Retry-After``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from core.client_address import rate_limit_key
from core.context import Context
from core.rate_limits import RateLimited, is_sign_in_attempt


class OperationRateLimit(SchemaExtension):
    """Spend the signed-in user's request budget and the address's sign-in budget."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context = execution.context
        if context.request is not None:
            runtime = context.runtime
            address = rate_limit_key(context.request.scope, runtime.settings.trusted_proxies)
            user = context.principal.user_id if context.principal else None
            assert execution.graphql_document is not None
            attempts = sign_in_attempts(
                execution.schema._schema, execution.graphql_document, execution.operation_name
            )
            try:
                runtime.rate_limits.operation(address, user, attempts)
            except RateLimited as refused:
                execution.result = ExecutionResult(data=None, errors=[refused])
                if context.response is not None:
                    context.response.status_code = 429
                    context.response.headers["Retry-After"] = str(refused.retry_after)
        yield


@lru_cache(maxsize=256)
def sign_in_attempts(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> int:
    """How many root fields of the operation check a password (see SIGN_IN_ATTEMPT)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.MUTATION:
        return 0
    mutation = schema.mutation_type
    assert mutation is not None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    fields = _root_fields(operation.selection_set, fragments, set())
    return sum(1 for name in fields.values() if _checks_password(mutation.fields.get(name)))


def _checks_password(field: GraphQLField | None) -> bool:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if field else None
    return is_sign_in_attempt(getattr(definition, "metadata", None))


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    spread: set[str],
) -> dict[str, str]:
    """Each response key of the selection and the field it names: a field
    selected twice under one key runs once, under two aliases twice."""
    fields: dict[str, str] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            fields[key] = selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            fields.update(_root_fields(selection.selection_set, fragments, spread))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in spread:
                spread.add(name)
                fields.update(_root_fields(fragments[name].selection_set, fragments, spread))
    return fields
