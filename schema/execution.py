"""Executing plain fields without graphql-core's per-field machinery.

graphql-core executes every field the same way: a ``Path``, a resolve info
(and strawberry's ``Info`` around it), argument coercion, the resolver, then
``complete_value`` with its awaitable checks: about 15 µs a field on this
project's machines. A customer-360 page has tens of thousands of fields, most
of them leaves of transaction rows whose value is already on the row, so that
machinery, not the database, was most of the page's time.

A field is **plain** when computing it can neither wait, nor fail for a
reason the caller should read, nor depend on who asks: an attribute of the
row (a strawberry field without a resolver), the relay ``id`` of a node, or a
synchronous resolver that takes only the row (no ``info``, no arguments, no
field extensions, no permission classes) — a value derived from the row
alone, such as a transaction's ``direction``. Authorization never happens in
such a field: permissions are checked on root fields (``core.graphql``), the
data scope in the loaders that fetch the rows, and personal data is masked by
resolvers that take ``info``. So executing plain fields directly changes
nothing a caller can see, only what it costs.

For every object whose selection is being executed, :class:`PlainFieldExecutor`
compiles its selection once per request into a plan: each plain field a
small function from the row to its finished JSON value (nested plain objects
and lists of them compiled the same way), every other field left to
graphql-core. A plain field that meets anything unexpected (a null where the
schema promises a value, a row of the wrong type, a resolver that raises) is
executed again the ordinary way, which reports it exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
"""A plain field's value (or an object's row) to its finished JSON value."""


@dataclass(frozen=True)
class Plan:
    """An object's selection: each response key with how to complete it from
    the row, or None where graphql-core executes the field."""

    steps: list[tuple[str, Complete | None]]
    all_plain: bool
    any_plain: bool


NODE_ID = relay.Node._id.__func__  # type: ignore[attr-defined]


class NotPlain(Exception):
    """This value needs graphql-core's own execution (which reports it)."""


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with plain fields executed directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[GroupedFieldSet, Plan]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, grouped_field_set)
        if not plan.any_plain:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        remaining: GroupedFieldSet = {}
        for key, complete in plan.steps:
            if complete is not None:
                try:
                    results[key] = complete(source_value)
                except Exception:  # executed again below, which reports it
                    remaining[key] = grouped_field_set[key]
                continue
            remaining[key] = grouped_field_set[key]
        if not remaining:
            return results
        rest = super().execute_fields(parent_type, source_value, path, remaining, position_context)
        if self.is_awaitable(rest):

            async def merged() -> dict[str, Any]:
                return _in_selection_order(grouped_field_set, results, await rest)

            return merged()
        return _in_selection_order(grouped_field_set, results, rest)

    # ------------------------------------------------------------- compiling

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Plan:
        """The plan of a selection, compiled once per request (graphql-core
        collects each selection once and hands the same mapping back)."""
        cached = self._plans.get(id(fields))
        if cached is not None:
            return cached[1]
        steps = [(key, self._plain_field(parent_type, details)) for key, details in fields.items()]
        plain = [complete is not None for _, complete in steps]
        plan = Plan(steps, all_plain=all(plain), any_plain=any(plain))
        self._plans[id(fields)] = (fields, plan)  # keeps `fields`, so its id stays unique
        return plan

    def _plain_field(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Complete | None:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent_type.name
            return lambda _row: type_name
        field = parent_type.fields.get(name)
        if field is None or node.arguments or field.args or details[0].defer_usage:
            return None
        read = _reader(parent_type, field)
        if read is None:
            return None
        complete = self._completer(field.type, details)
        if complete is None:
            return None
        return lambda row: complete(read(row))

    def _completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        """How to finish a value of ``type_`` as graphql-core would, or None
        when that needs graphql-core (abstract types, objects with fields that
        are not plain). One closure per level: this runs for every field."""
        required = isinstance(type_, GraphQLNonNull)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, details)
            return None if item is None else _list_of(item, required)
        if isinstance(type_, GraphQLLeafType):
            return _leaf(type_, required)
        if isinstance(type_, GraphQLObjectType):
            collected = self.collect_subfields(type_, details)
            if collected.new_defer_usages:
                return None
            plan = self._plan(type_, collected.grouped_field_set)
            return _object(type_, plan, required) if plan.all_plain else None
        return None


def _reader(parent_type: GraphQLObjectType, field: GraphQLField) -> Complete | None:
    """How to read a plain field's value from the row, or None if it is not plain."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.extensions:
        return None
    if getattr(field.resolve, "_is_default", False):  # strawberry's field without a resolver
        return attrgetter(definition.python_name)
    resolver = definition.base_resolver
    if resolver is None or definition.permission_classes or definition.is_async:
        return None
    if getattr(resolver.wrapped_func, "__func__", None) is NODE_ID:
        return _node_id(parent_type)
    if definition.arguments or resolver.info_parameter:
        return None
    function = resolver.wrapped_func  # what calling the resolver calls
    if not callable(function):
        return None
    takes_self = resolver.self_parameter is not None
    row_parameters = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p]

    def call(row: Any) -> Any:
        return function(*([row] if takes_self else []), **dict.fromkeys(row_parameters, row))

    return call


def _node_id(parent_type: GraphQLObjectType) -> Complete | None:
    """The relay ``id`` of a row served as ``parent_type``: its type name and
    primary key, as ``Node._id`` makes it (when the type does not change how)."""
    definition = (parent_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    if (
        origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    type_name, key = parent_type.name, attrgetter(origin.resolve_id_attr())
    return lambda row: to_base64(type_name, key(row))  # what str(GlobalID(...)) gives


# ----------------------------------------------------------- completing values


def _null(required: bool) -> None:
    """A null value: what a nullable field completes to; graphql-core's error
    for a field that promises a value."""
    if required:
        raise NotPlain


def _list_of(item: Complete, required: bool) -> Complete:
    def finish(values: Iterable[Any] | None) -> list[Any] | None:
        if values is None:
            return _null(required)
        if isinstance(values, (str, bytes, dict)):
            raise NotPlain
        return [item(value) for value in values]

    return finish


def _leaf(type_: GraphQLLeafType, required: bool) -> Complete:
    coerce = type_.coerce_output_value

    def finish(value: Any) -> Any:
        if value is None:
            return _null(required)
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise NotPlain
        return coerced

    return finish


def _object(type_: GraphQLObjectType, plan: Plan, required: bool) -> Complete:
    is_type_of = type_.is_type_of
    fields: list[tuple[str, Complete]] = plan.steps  # type: ignore[assignment] - all plain

    def finish(row: Any) -> dict[str, Any] | None:
        if row is None:
            return _null(required)
        if is_type_of is not None and not is_type_of(row, None):
            raise NotPlain
        return {key: complete(row) for key, complete in fields}

    return finish


def _in_selection_order(fields: GroupedFieldSet, *parts: dict[str, Any]) -> dict[str, Any]:
    """One object's fields, in the order they were asked for, as the spec wants."""
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return {key: merged[key] for key in fields if key in merged}
