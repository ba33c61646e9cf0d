"""Stitch the enabled plugins into one strawberry schema.

Each plugin contributes a root ``Query`` and ``Mutation`` part, extra types,
and fields on other plugins' types (``core.graphql.extends``). The kernel adds
``node(id:)`` and ``businessDate``. Building refuses, with a message naming the plugins involved:
a root field without a declared permission, a permission nobody defines, two
plugins with the same root field, a field added to a type no enabled plugin
defines, and a field name taken twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from core.authorization import Access
from core.business_day import open_business_date
from core.context import Context
from core.errors import ConfigurationError
from core.graphql import EXTENDS_ATTRIBUTE, query, requirement_of
from core.money import Money
from core.nul_character import NoNulCharacter
from core.runtime import Runtime
from core.settings import Settings
from schema.cost import QueryCostLimit
from schema.execution import PlainFieldExecutor
from schema.extensions import (
    CachedValidation,
    ExtensionFactory,
    MaskUnexpectedErrors,
    OperationMetrics,
    UnitOfWork,
)
from schema.rate_limits import OperationRateLimit


@strawberry.type
class KernelQuery:
    @query(permission=Access.SIGNED_IN)
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        """Any object by its global ID; null when it does not exist or is out of your scope."""
        definition = info.schema.get_type_by_name(id.type_name)
        if not (
            isinstance(definition, StrawberryObjectDefinition)
            and not definition.is_interface
            and issubclass(definition.origin, relay.Node)
        ):
            return None
        return await definition.origin.resolve_node(id.node_id, info=info, required=False)

    @query(permission=Access.SIGNED_IN)
    async def business_date(self, info: Info) -> date:
        """The bank's open business date; the end-of-day batch closes it and opens the next."""
        context: Context = info.context
        return await open_business_date(context.session, context.runtime.settings)


KERNEL_TYPES: list[Any] = [Money, date, datetime, Decimal]
"""Shared by every plugin, so present whichever plugins are enabled."""


@dataclass(frozen=True)
class Contribution:
    plugin: str
    field: StrawberryField


class CRMSchema(strawberry.Schema):
    """A schema whose types also carry the fields other plugins add to them."""

    def __init__(self, *args: Any, additions: dict[str, list[Contribution]], **kwargs: Any):
        self._additions = additions
        self._fields_cache: dict[str, list[StrawberryField]] = {}
        self._conflicts: list[str] = []
        super().__init__(*args, **kwargs)
        if self._conflicts:
            raise ConfigurationError("; ".join(self._conflicts))
        missing = sorted(set(additions) - set(self.schema_converter.type_map))
        if missing:
            plugins = sorted({c.plugin for name in missing for c in additions[name]})
            raise ConfigurationError(
                f"plugin(s) {', '.join(plugins)} add fields to type(s) {', '.join(missing)}, "
                "which no enabled plugin defines"
            )

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        name = type_definition.name
        if name not in self._fields_cache:
            fields = list(type_definition.fields)
            owners = {self._graphql_name(f): "its owner" for f in fields}
            for contribution in self._additions.get(name, ()):
                field_name = self._graphql_name(contribution.field)
                if field_name in owners:
                    # Raised after the build: graphql-core would bury it in a TypeError.
                    self._conflicts.append(
                        f"plugin {contribution.plugin!r} adds field {name}.{field_name}, "
                        f"which {owners[field_name]} already defines"
                    )
                    continue
                owners[field_name] = f"plugin {contribution.plugin!r}"
                fields.append(contribution.field)
            self._fields_cache[name] = fields
        return self._fields_cache[name]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: the caller's mistakes are theirs to read, and unexpected
        errors are logged in full when they are masked (``MaskUnexpectedErrors``)."""

    def _graphql_name(self, field: StrawberryField) -> str:
        return self.config.name_converter.get_graphql_name(field)


def _root_type(name: str, parts: list[tuple[str, type]], runtime: Runtime) -> type:
    """Merge root parts into one type, refusing duplicates and undeclared permissions."""
    seen: dict[str, str] = {}
    names = StrawberryConfig().name_converter
    for plugin, part in parts:
        for field in part.__strawberry_definition__.fields:
            field_name = names.get_graphql_name(field)
            if field_name in seen:
                raise ConfigurationError(
                    f"{name}.{field_name} is defined by both plugin {seen[field_name]!r} "
                    f"and plugin {plugin!r}"
                )
            seen[field_name] = plugin
            requirement = requirement_of(field)
            if requirement is None:
                raise ConfigurationError(
                    f"{name}.{field_name} (plugin {plugin!r}) declares no permission; "
                    "declare it with core.graphql.query/mutation(permission=...)"
                )
            if isinstance(requirement, str):
                runtime.permissions.require_defined(requirement, f"{name}.{field_name}")
    bases = tuple(part for _, part in reversed(parts))
    return strawberry.type(type(name, bases, {}))


def query_limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The validation rules beyond GraphQL's own: no NUL in a literal, and the
    depth and alias limits, made once per schema: validation is cached per
    document and rule classes (``CachedValidation``), and the limiters would
    make new classes for every request."""
    return [
        NoNulCharacter,
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]


def schema_extensions(runtime: Runtime) -> list[ExtensionFactory]:
    settings = runtime.settings
    limits = query_limit_rules(settings)
    extensions: list[ExtensionFactory] = [
        OperationMetrics,
        UnitOfWork,
        OperationRateLimit,
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: QueryCostLimit(max_cost=settings.max_query_cost, page_size=settings.max_page_size),
        lambda: CachedValidation(hide_suggestions=settings.is_production),
        MaskUnexpectedErrors,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return extensions


def build_schema(runtime: Runtime) -> CRMSchema:
    """The schema of every enabled plugin, stitched together."""
    plugins = runtime.plugins
    queries: list[tuple[str, type]] = [("kernel", KernelQuery)]
    queries += [(plugin.name, part) for plugin, part in plugins.each("crm_query")]
    mutations = [(plugin.name, part) for plugin, part in plugins.each("crm_mutation")]
    types = [*KERNEL_TYPES, *(t for _, answer in plugins.each("crm_types") for t in answer)]

    additions: dict[str, list[Contribution]] = defaultdict(list)
    for plugin, answer in plugins.each("crm_type_extensions"):
        for mixin in answer:
            target = getattr(mixin, EXTENDS_ATTRIBUTE, None)
            if target is None:
                raise ConfigurationError(
                    f"plugin {plugin.name!r} returned {mixin.__name__} from crm_type_extensions "
                    "without @extends('TypeName')"
                )
            for field in mixin.__strawberry_definition__.fields:
                additions[target].append(Contribution(plugin.name, field))

    return CRMSchema(
        query=_root_type("Query", queries, runtime),
        mutation=_root_type("Mutation", mutations, runtime) if mutations else None,
        types=types,
        extensions=schema_extensions(runtime),
        execution_context_class=PlainFieldExecutor,
        additions=dict(additions),
    )
