"""Calls of any root field with made-up arguments, built from the schema alone.

The role matrix test calls every root field the served schema has, including
ones added after it was written, so nothing here knows a field by name: each
required argument (and each required field of an input object) gets a value of
its type, and each ID is the global ID of an object that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    Undefined,
    get_named_type,
)
from strawberry import relay

MISSING_ID = "987654321"
"""The database id in every made-up global ID: no test creates that many rows."""

FALLBACK_TYPE = "Customer"

SCALARS: dict[str, Any] = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Decimal": "1.00",
    "Date": "2026-01-05",
    "DateTime": "2026-01-05T10:00:00+08:00",
}


@dataclass(frozen=True)
class RootCall:
    """One root field called with made-up arguments."""

    operation: str
    field: str
    document: str
    variables: dict[str, Any]


def root_call(schema: GraphQLSchema, operation: str, name: str) -> RootCall:
    root = schema.mutation_type if operation == "Mutation" else schema.query_type
    assert root is not None
    field = root.fields[name]
    made_up = _MadeUp(schema, context=name)
    declarations, arguments, variables = [], [], {}
    for argument_name, argument in field.args.items():
        if not _required(argument.type, argument.default_value):
            continue
        declarations.append(f"${argument_name}: {argument.type}")
        arguments.append(f"{argument_name}: ${argument_name}")
        variables[argument_name] = made_up.value(argument.type, argument_name)
    head = operation.lower() + (f"({', '.join(declarations)})" if declarations else "")
    call = name + (f"({', '.join(arguments)})" if arguments else "")
    return RootCall(operation, name, f"{head} {{ {call}{selection(field)} }}", variables)


def selection(field: GraphQLField) -> str:
    """The least selection a field's type allows; a payload's ``errors`` codes too."""
    named = get_named_type(field.type)
    if isinstance(named, GraphQLObjectType) and "errors" in named.fields:
        return " { __typename errors { code } }"
    if isinstance(named, GraphQLObjectType) or not hasattr(named, "serialize"):
        return " { __typename }"
    return ""


def _required(type_: GraphQLType, default: Any) -> bool:
    return isinstance(type_, GraphQLNonNull) and default is Undefined


@dataclass
class _MadeUp:
    schema: GraphQLSchema
    context: str

    def value(self, type_: GraphQLInputType, name: str) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, name)
        if isinstance(type_, GraphQLList):
            return [self.value(type_.of_type, name)]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            return {
                field_name: self.value(field.type, field_name)
                for field_name, field in type_.fields.items()
                if _required(field.type, field.default_value)
            } | self._one_of(type_)
        if type_.name == "ID":
            return str(relay.GlobalID(self.node_type(name), MISSING_ID))
        return SCALARS[type_.name]

    def _one_of(self, type_: GraphQLInputObjectType) -> dict[str, Any]:
        """A ``@oneOf`` input needs exactly one field: its first."""
        if not getattr(type_, "is_one_of", False):
            return {}
        field_name, field = next(iter(type_.fields.items()))
        return {field_name: self.value(field.type, field_name)}

    def node_type(self, name: str) -> str:
        """The Node type an ID argument names (``fromAccountId``: Account), else the
        longest one named by the root field (``updateCustomer``'s ``id``: Customer)."""
        words = re.findall(r"[A-Z]?[a-z]+", re.sub(r"Ids?$", "", name))
        if words and self._is_node(words[-1].capitalize()):
            return words[-1].capitalize()
        named = [t for t in self.schema.type_map if self._is_node(t) and t in _upper(self.context)]
        return max(named, key=len, default=FALLBACK_TYPE)

    def _is_node(self, type_name: str) -> bool:
        definition = self.schema.type_map.get(type_name)
        return isinstance(definition, GraphQLObjectType) and any(
            interface.name == "Node" for interface in definition.interfaces
        )


def _upper(name: str) -> str:
    return name[:1].upper() + name[1:]
