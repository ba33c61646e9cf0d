"""The query cost limit: refuse, before execution, a query that would fetch too much.

Depth, aliases and tokens bound a document's shape, not the rows it asks for:
``customers(first: 100) { edges { node { accounts { freezes { id } } } } }``
is shallow and short, yet may load a million rows. The cost is a static
estimate from the document alone, so it is computed once per distinct
document and never per resolved field:

- each field costs 1, plus what its selection costs;
- a connection's selection counts ``first`` times (its literal value, or
  ``CRM_MAX_PAGE_SIZE`` when it is a variable or left out), and the
  ``edges`` list inside it does not count again;
- any other list of objects counts its selection ``CRM_MAX_PAGE_SIZE`` times
  (``first`` if it takes one), a list of scalars just 1.

A document costing more than ``CRM_MAX_QUERY_COST`` (all its operations
together) is refused with ``QUERY_TOO_COSTLY``, before validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from core.errors import RequestError

CONNECTION_FIELDS = frozenset({"edges", "pageInfo"})


MAX_SPREAD_FIELDS = 20_000
"""Fields a document may select once its fragments are spread. Without
fragments a document of ``CRM_MAX_TOKENS`` tokens selects a few thousand at
most; fragments spreading fragments can select exponentially many, and the
depth and alias rules would walk every one of them."""


class QueryTooCostly(RequestError):
    code = "QUERY_TOO_COSTLY"

    def __init__(self, message: str) -> None:
        super().__init__(message)


def is_connection(kind: GraphQLOutputType) -> bool:
    named = get_named_type(kind)
    return isinstance(named, GraphQLObjectType) and named.fields.keys() >= CONNECTION_FIELDS


def is_list(kind: GraphQLOutputType) -> bool:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class QueryCost:
    """Sums a selection's cost; ``page_size`` is what an unbounded list counts as."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, page_size: int, *, lists: bool = True
    ) -> None:
        self.schema = schema
        self.page_size = page_size
        self.lists = lists  # False: count each field once, as if every list had one item
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.fragment_costs: dict[str, int] = {}

    def of_operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self.of_selection(operation.selection_set, root, frozenset()) if root else 0

    def of_selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLCompositeType | None,
        spread: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.of_field(selection, parent, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of_selection(selection.selection_set, kind, spread)  # type: ignore[arg-type]
            elif isinstance(selection, FragmentSpreadNode):
                total += self.of_fragment(selection.name.value, spread)
        return total

    def of_fragment(self, name: str, spread: frozenset[str]) -> int:
        """A fragment's cost, summed once however often it is spread (a document
        spreading fragments into fragments would otherwise take exponential time)."""
        fragment = self.fragments.get(name)
        if fragment is None or name in spread:  # other rules report these
            return 0
        if name not in self.fragment_costs:
            kind = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_costs[name] = self.of_selection(
                fragment.selection_set,
                kind,  # type: ignore[arg-type]
                spread | {name},
            )
        return self.fragment_costs[name]

    def of_field(
        self, node: FieldNode, parent: GraphQLCompositeType | None, spread: frozenset[str]
    ) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None:  # __typename, or an unknown field another rule reports
            return 1
        child = get_named_type(definition.type)
        inner = self.of_selection(node.selection_set, child, spread)  # type: ignore[arg-type]
        if inner == 0:
            return 1
        if is_connection(definition.type):
            return 1 + self._page(node) * inner
        if is_list(definition.type) and not is_connection(parent):  # type: ignore[arg-type]
            return 1 + self._page(node) * inner
        return 1 + inner

    def _page(self, node: FieldNode) -> int:
        if not self.lists:
            return 1
        for argument in node.arguments or ():
            if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
                return max(int(argument.value.value), 1)  # first: 0 still resolves
        return self.page_size

    @staticmethod
    def _definition(parent: object, name: str) -> GraphQLField | None:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None


def document_cost(
    schema: GraphQLSchema, document: DocumentNode, page_size: int, *, lists: bool = True
) -> int:
    """The cost of every operation in the document, together."""
    cost = QueryCost(schema, document, page_size, lists=lists)
    return sum(
        cost.of_operation(definition)
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


@lru_cache(maxsize=256)
def _refusals(
    schema: GraphQLSchema, document: DocumentNode, max_cost: int, page_size: int
) -> list[GraphQLError] | None:
    fields = document_cost(schema, document, page_size, lists=False)
    if fields > MAX_SPREAD_FIELDS:
        return [
            QueryTooCostly(
                f"The query selects {fields} fields once its fragments are spread, "
                f"more than the {MAX_SPREAD_FIELDS} allowed."
            )
        ]
    cost = document_cost(schema, document, page_size)
    if cost > max_cost:
        return [
            QueryTooCostly(
                f"The query would cost {cost}, more than the {max_cost} allowed; "
                "ask for smaller pages or fewer nested lists."
            )
        ]
    return None


class QueryCostLimit(SchemaExtension):
    """Refuse a costly document before the validation rules see it.

    It runs ahead of validation, not as one of its rules, because some rules
    (the depth and alias limits) walk every fragment spread anew: a few
    hundred tokens of fragments spreading fragments would keep them busy for
    ever. A document within the cost has a bounded expansion, so they are
    bounded too. Computed once per distinct document (``ParserCache`` hands
    back the same parsed document for the same text).
    """

    def __init__(self, *, max_cost: int, page_size: int) -> None:
        self.max_cost = max_cost
        self.page_size = page_size

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = _refusals(
                context.schema._schema, context.graphql_document, self.max_cost, self.page_size
            )
        yield
