"""Fuzzing from the schema: generated requests, valid and hostile, against a real server.

    .venv/bin/python reliability/fuzz.py --db PATH_OR_URL [--cases 500] [--seed N]

Builds a small bank (``harness.small_bank``), serves it (``crm serve`` over
HTTP, ``harness.served``), reads the schema the server serves (introspection)
and, for every root field group (one plugin's root fields of one operation
type: ``finance mutation``, ``customer query``, ..., plus the kernel's
``node`` and ``businessDate``; the owner of each root field is read from the
plugins' own ``crm_query`` / ``crm_mutation`` contributions, and every served
root field must belong to one group), sends at least ``--cases`` generated
requests with hypothesis and hypothesis-graphql:

- valid operations of the group's fields (``hypothesis_graphql`` positive
  mode) and operations with one schema violation (negative mode: a wrong
  argument type, a missing argument, an unknown enum value);
- the fields with every argument passed as a variable, whose values are
  hostile: wrong JSON types, bad IDs (random base64, other types' IDs,
  64-bit overflows), absurd amounts (negative, 30 digits, ``NaN``,
  ``"1e999"``), impossible dates, NUL bytes, long strings, unknown keys;
- malformed documents (truncated, damaged, random text, wrong ``query``
  types), unknown fields and arguments, fragment cycles, unknown operation
  names, subscriptions over HTTP;
- huge and deep requests: hundreds of aliases, thousands of tokens, deep
  selections, deeply nested list literals and JSON variables;
- transport abuse: non-JSON and non-UTF-8 bodies, JSON that is not an
  object, batches, wrong content types, GET of a mutation, other methods,
  bodies over the size limit (declared and chunked).

Each request goes as the generated head-office ``admin`` (so that mutations
really run), as the relationship manager ``rm3`` (low privileges, a branch
scope), or unauthenticated. Every answer is checked: never an HTTP 5xx, never
an ``INTERNAL_SERVER_ERROR`` code, never a trace, driver or SQL in the body
(``harness.leaks_internals``, echoes of what was sent aside), always JSON with
``data`` and/or ``errors``, never a new error in the server's log. A failing
check is an anomaly: hypothesis shrinks it to a minimal example, which is
reported, and the group goes on until it has run its cases (each distinct
anomaly, a root field and what went wrong, is shrunk once).

After the run, the ledger's invariants (``harness.invariants``) must hold:
the books balance, every entry sums to zero, every account equals its
postings, no lost update, no negative balance. "The accounts' total" does not
apply: fuzzed deposits and withdrawals that pass every rule legitimately
change it.

The figures: cases per group, answers by kind (HTTP status and first error
code), anomalies with their minimal examples, the invariants. Written to
``reliability/results/fuzz-<database>.json``. Hypothesis runs derandomized
(or from ``--seed``), keeps no example database, and has no deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import graphql
import harness
import httpx
import hypothesis_graphql
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, HypothesisWarning
from hypothesis_graphql._strategies.negative_sites import enumerate_violation_sites
from strawberry.schema.config import StrawberryConfig

from core.plugins import load_plugins
from core.settings import load_settings
from schema.build import KernelQuery

STAFF = "rm3"
"""A relationship manager of branch 1 (``benchmarks/bank.py``: staff 3..12)."""
PERSONAS = ("admin", "admin", "admin", "staff", "anonymous")
"""Who sends a case: mostly the admin, so that mutations get past authorization."""
MAX_BODY = 1_048_576
"""The server's default ``CRM_MAX_BODY_BYTES``."""
PASSES = 12
"""How many times a group starts again after a new anomaly before it gives up."""
TIMEOUT = 60.0
ANSWER_SHOWN = 1500

MIX = {
    "valid": 3,
    "schema violation": 2,
    "hostile variables": 3,
    "malformed": 1,
    "unknown fields": 1,
    "huge": 1,
    "transport": 1,
}
"""How often each kind of case comes, in twelfths: mostly operations that reach resolvers."""
TRANSPORT = {
    "non-JSON body",
    "wrong content type",
    "query by GET",
    "other method",
    "oversized body",
}
"""Kinds of case wrong before GraphQL sees them: one anomaly each, whatever the root field."""


# ---------------------------------------------------------------- root field groups


@dataclass(frozen=True)
class Group:
    """One plugin's root fields of one operation type."""

    plugin: str
    operation: str  # "query" or "mutation"
    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.plugin} {self.operation}"


def root_field_groups(schema: graphql.GraphQLSchema) -> list[Group]:
    """The served root fields grouped by the plugin that contributes them.

    Read from the enabled plugins' ``crm_query`` / ``crm_mutation`` parts (as
    ``schema/build.py`` merges them); a served root field nobody owns would be
    left unfuzzed, so it is refused.
    """
    plugins = load_plugins(load_settings().plugins)
    names = StrawberryConfig().name_converter
    owned: list[tuple[str, str, type]] = [("kernel", "query", KernelQuery)]
    for operation, hook in (("query", "crm_query"), ("mutation", "crm_mutation")):
        owned += [(plugin.name, operation, part) for plugin, part in plugins.each(hook)]
    groups = [
        Group(
            plugin,
            operation,
            tuple(names.get_graphql_name(f) for f in part.__strawberry_definition__.fields),
        )
        for plugin, operation, part in owned
    ]
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        served = set(root.fields) if root else set()
        grouped = {f for g in groups if g.operation == operation for f in g.fields}
        if served != grouped:
            raise RuntimeError(
                f"{operation} root fields served but owned by no plugin: {served - grouped}; "
                f"owned but not served: {grouped - served}"
            )
    return groups


# ---------------------------------------------------------------- hostile values

DIGITS30 = "1" * 30
AMOUNTS = (
    "1",
    "12.34",
    "0.01",
    "5",
    "0",
    "-0",
    "-1",
    "-0.01",
    "0.001",
    "0.005",
    DIGITS30,
    "-" + DIGITS30,
    "9" * 30 + ".99",
    "0." + "0" * 29 + "1",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "1e-999",
    "-1e999",
    "1E+30",
    "0x10",
    " 5 ",
    "5,00",
    "1_000",
    "",
    "٣",
    "12.345678901234567890",
    "abc",
)
"""Amounts a bank must refuse (or take exactly): signs, magnitudes, notations."""
DATES = (
    "2024-02-29",
    "2024-02-30",
    "2023-13-01",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "10000-01-01",
    "2024-1-1",
    "",
    "today",
    "2024-06-01T00:00:00",
)
DATETIMES = (
    "2024-06-01T08:00:00+08:00",
    "2024-06-01T00:00:00Z",
    "2024-06-01T25:00:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999+14:00",
    "2024-06-01",
    "",
    "now",
)
STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "%",
    "_",
    "\\",
    '"',
    "\u202e\u200b",
    "😀" * 50,
    "x" * 10_000,
    "\ud7ff",
)
INTS = (0, -1, 1, 2**31 - 1, -(2**31), 2**31, 2**63, -(2**63) - 1, 10**30)


def id_strategy(real_ids: list[str]) -> st.SearchStrategy[str]:
    """IDs: real ones of every type (so usually another type's), and broken ones."""
    broken = st.one_of(
        st.sampled_from(
            [
                harness.global_id("Account", 0),
                harness.global_id("Account", -1),
                harness.global_id("Account", 2**63),
                harness.global_id("Account", 10**30),
                base64.b64encode(b"Account:1e5").decode(),
                base64.b64encode(b"Account:").decode(),
                base64.b64encode(b"Account:abc").decode(),
                base64.b64encode(b":").decode(),
                base64.b64encode(b"NoSuchType:1").decode(),
                base64.b64encode(b"Account:1\x00").decode(),
                "not base64!",
                "",
                "====",
            ]
        ),
        st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode()),
        st.text(max_size=12).map(lambda s: base64.b64encode(f"Account:{s}".encode()).decode()),
    )
    return st.one_of(st.sampled_from(real_ids), broken) if real_ids else broken


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and infinities too: encoded bare, they make the body non-JSON)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(AMOUNTS),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


@dataclass
class Values:
    """Strategies of hostile variable values for the served schema's input types."""

    schema: graphql.GraphQLSchema
    ids: st.SearchStrategy[str]

    def scalar(self, name: str) -> st.SearchStrategy[Any]:
        match name:
            case "ID":
                return self.ids
            case "Decimal":
                return st.one_of(
                    st.sampled_from(AMOUNTS),
                    st.decimals(allow_nan=True, places=None).map(str),
                    st.integers(-(10**6), 10**6),
                    st.floats(),
                )
            case "Int":
                return st.one_of(st.sampled_from(INTS), st.integers(-100, 1000))
            case "Float":
                return st.floats()
            case "Boolean":
                return st.booleans()
            case "Date":
                return st.one_of(st.sampled_from(DATES), st.dates().map(str))
            case "DateTime":
                return st.one_of(st.sampled_from(DATETIMES), st.datetimes().map(str))
            case "String":
                return st.one_of(st.sampled_from(STRINGS), st.text(max_size=40))
            case _:
                return json_values()

    def of(self, type_: graphql.GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
        """A value for ``type_``: mostly of its shape, with wrong kinds sprinkled in."""
        if isinstance(type_, graphql.GraphQLNonNull):
            shaped = self.of(type_.of_type, depth)
        elif isinstance(type_, graphql.GraphQLList):
            shaped = st.one_of(st.none(), st.lists(self.of(type_.of_type, depth + 1), max_size=3))
        elif isinstance(type_, graphql.GraphQLEnumType):
            shaped = st.one_of(st.sampled_from(list(type_.values)), st.text(max_size=10))
        elif isinstance(type_, graphql.GraphQLInputObjectType):
            shaped = st.none() if depth > 3 else self.input_object(type_, depth)
        else:
            shaped = self.scalar(type_.name)
        return st.one_of(shaped, json_values()) if depth > 0 else shaped

    def input_object(
        self, type_: graphql.GraphQLInputObjectType, depth: int
    ) -> st.SearchStrategy[dict[str, Any]]:
        required = {
            name: self.of(f.type, depth + 1)
            for name, f in type_.fields.items()
            if graphql.is_required_input_field(f)
        }
        optional = {
            name: self.of(f.type, depth + 1)
            for name, f in type_.fields.items()
            if not graphql.is_required_input_field(f)
        }
        unknown = st.dictionaries(
            st.sampled_from(["noSuchField", "id", "__typename", "balance"]),
            json_values(),
            max_size=1,
        )
        return st.builds(
            lambda known, extra: {**known, **extra},
            st.fixed_dictionaries(required, optional=optional),
            st.one_of(st.just({}), unknown),
        )

    @cached_property
    def literal_scalars(self) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
        """Value nodes for hypothesis-graphql: the custom scalars, and the IDs of the bank."""
        nodes = hypothesis_graphql.nodes
        customs = {
            name: st.one_of(
                self.scalar(name).map(nodes.String),
                st.integers(-(10**6), 10**32).map(nodes.Int),
            )
            for name, type_ in self.schema.type_map.items()
            if isinstance(type_, graphql.GraphQLScalarType)
            and not name.startswith("__")
            and name not in ("Int", "Float", "String", "Boolean")
        }
        customs["ID"] = self.ids.map(nodes.String)
        return customs


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One request to send, and what it is."""

    kind: str
    root: str
    persona: str
    body: bytes = b""
    method: str = "POST"
    content_type: str | None = "application/json"
    params: dict[str, str] | None = None
    chunked: bool = False

    def describe(self) -> dict[str, Any]:
        shown = self.body.decode("utf-8", "replace")
        if len(shown) > ANSWER_SHOWN:
            shown = f"{shown[:ANSWER_SHOWN]}... ({len(self.body)} bytes)"
        return {
            "kind": self.kind,
            "root field": self.root,
            "persona": self.persona,
            "method": self.method,
            "content type": self.content_type,
            "body": shown,
            **({"params": self.params} if self.params else {}),
            **({"chunked": True} if self.chunked else {}),
        }


def encode(payload: Any) -> bytes:
    """JSON as a careless client would send it: NaN and infinities bare."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")


def composite(type_: graphql.GraphQLOutputType) -> bool:
    return isinstance(graphql.get_named_type(type_), graphql.GraphQLCompositeType)


@dataclass
class Generator:
    """The case strategies of one root field group."""

    schema: graphql.GraphQLSchema
    group: Group
    values: Values
    _valid: dict[str, st.SearchStrategy[str]] = field(default_factory=dict)

    @property
    def root_type(self) -> graphql.GraphQLObjectType:
        root = self.schema.mutation_type if self.group.operation == "mutation" else None
        return root or self.schema.query_type  # type: ignore[return-value]

    def documents(self, name: str, mode: hypothesis_graphql.Mode) -> st.SearchStrategy[str]:
        make = (
            hypothesis_graphql.mutations
            if self.group.operation == "mutation"
            else hypothesis_graphql.queries
        )
        return make(
            self.schema,
            fields=[name],
            custom_scalars=self.values.literal_scalars,
            mode=mode,
        )

    def valid(self, name: str) -> st.SearchStrategy[str]:
        if name not in self._valid:
            self._valid[name] = self.documents(name, hypothesis_graphql.Mode.POSITIVE)
        return self._valid[name]

    def per_field(
        self,
        make: Callable[[str], st.SearchStrategy[tuple[str, bytes]]],
        names: Iterable[str] | None = None,
    ) -> st.SearchStrategy[tuple[str, str, bytes]]:
        """``make`` for each root field (or each of ``names``), labelled with the field."""
        return st.one_of(
            [
                make(name).map(lambda kb, name=name: (kb[0], name, kb[1]))
                for name in (self.group.fields if names is None else names)
            ]
        )

    @cached_property
    def violable(self) -> list[str]:
        """The group's root fields where hypothesis-graphql finds something to violate
        (an argument somewhere under them); it refuses to draw for the others."""
        sites = enumerate_violation_sites(self.schema, self.root_type)
        return [name for name in self.group.fields if name in {s.path[0].field_name for s in sites}]

    def cases(self) -> st.SearchStrategy[Case]:
        """Every kind of case in :data:`MIX` proportions (shrinking towards valid ones)."""
        makers = {
            "valid": self.valid_case,
            "schema violation": self.violating_case if self.violable else self.valid_case,
            "hostile variables": self.variables_case,
            "malformed": self.malformed_case,
            "unknown fields": self.unknown_case,
            "huge": self.huge_case,
        }
        made = {
            kind: st.tuples(
                self.per_field(make, self.violable if make == self.violating_case else None),
                st.sampled_from(PERSONAS),
            ).map(
                lambda made_persona: Case(
                    made_persona[0][0], made_persona[0][1], made_persona[1], made_persona[0][2]
                )
            )
            for kind, make in makers.items()
        }
        made["transport"] = self.transport_cases()
        mix = [made[kind] for kind, weight in MIX.items() for _ in range(weight)]
        return st.sampled_from(mix).flatmap(lambda strategy: strategy)

    # each strategy below makes (kind, body) for one root field

    def valid_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        return self.valid(name).map(lambda doc: ("valid", encode({"query": doc})))

    def violating_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        return self.documents(name, hypothesis_graphql.Mode.NEGATIVE).map(
            lambda doc: ("schema violation", encode({"query": doc}))
        )

    def variables_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        """Every argument as a variable of its declared type, with hostile values."""
        root_field = self.root_type.fields[name]
        declared = ", ".join(f"$v{i}: {a.type}" for i, a in enumerate(root_field.args.values()))
        passed = ", ".join(f"{arg}: $v{i}" for i, arg in enumerate(root_field.args))
        document = (
            f"{self.group.operation} Fuzz{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''}"
            f"{' { __typename }' if composite(root_field.type) else ''} }}"
        )
        variables = st.fixed_dictionaries(
            {f"v{i}": self.values.of(a.type) for i, a in enumerate(root_field.args.values())}
        )
        shapes = st.one_of(
            variables,
            variables,
            variables,
            variables.map(lambda v: {**v, "unknown": 1}),
            json_values(),
        )
        return shapes.map(
            lambda v: ("hostile variables", encode({"query": document, "variables": v}))
        )

    def malformed_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        valid = self.valid(name)
        damaged = st.one_of(
            st.tuples(valid, st.floats(0, 1)).map(lambda dc: dc[0][: int(len(dc[0]) * dc[1])]),
            st.tuples(valid, st.floats(0, 1), st.sampled_from('{}()[]:$@!"\\.#,=')).map(
                lambda dpc: (
                    dpc[0][: int(len(dpc[0]) * dpc[1])]
                    + dpc[2]
                    + dpc[0][int(len(dpc[0]) * dpc[1]) :]
                )
            ),
            st.text(max_size=80),
        )
        payloads = st.one_of(
            damaged.map(lambda doc: {"query": doc}),
            json_values().map(lambda q: {"query": q}),
            valid.map(lambda doc: {"query": doc, "operationName": "NoSuchOperation"}),
            st.tuples(valid, json_values()).map(lambda dv: {"query": dv[0], "variables": dv[1]}),
            st.tuples(valid, json_values()).map(lambda dv: {"query": dv[0], "extensions": dv[1]}),
            st.tuples(valid, json_values()).map(
                lambda dv: {"query": dv[0], "operationName": dv[1]}
            ),
            valid.map(lambda doc: {"query": f"{doc}\n{doc}"}),
            st.just({}),
        )
        return payloads.map(lambda p: ("malformed", encode(p)))

    def unknown_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        word = st.from_regex(r"[a-z][A-Za-z0-9_]{0,15}", fullmatch=True)
        op = self.group.operation
        documents = st.one_of(
            word.map(lambda w: f"{op} {{ {name} {{ {w} }} }}"),
            word.map(lambda w: f"{op} {{ {w}{name} }}"),
            word.map(lambda w: f"{op} {{ {name}({w}: 1) {{ __typename }} }}"),
            st.just(
                f"{op} {{ ...A }} fragment A on {self.root_type.name} {{ ...B }} "
                f"fragment B on {self.root_type.name} {{ ...A }}"
            ),
            st.just(f"subscription {{ {name} }}"),
            st.just(f"{op} A {{ {name} }} {op} A {{ {name} }}"),
        )
        return documents.map(lambda doc: ("unknown fields", encode({"query": doc})))

    def huge_case(self, name: str) -> st.SearchStrategy[tuple[str, bytes]]:
        op = self.group.operation

        def aliased(doc_count: tuple[str, int]) -> str:
            """The document's root fields, each ``count`` times under aliases."""
            doc, count = doc_count
            operation = graphql.parse(doc).definitions[0]
            assert isinstance(operation, graphql.OperationDefinitionNode)
            fields = [
                graphql.print_ast(s)
                for s in operation.selection_set.selections
                if isinstance(s, graphql.FieldNode) and s.alias is None
            ]
            copies = " ".join(
                f"a{i}_{j}: {printed}" for i in range(count) for j, printed in enumerate(fields)
            )
            return f"{op} {{ {copies} }}"

        def nested(depth: int) -> str:
            return (
                "query { __schema { types { fields { type { "
                + "ofType { " * depth
                + "name"
                + " }" * depth
                + " } } } } }"
            )

        documents = st.one_of(
            st.tuples(self.valid(name), st.integers(2, 300)).map(aliased),
            st.integers(5, 200).map(nested),
            st.integers(5, 3000).map(lambda d: f"{op} {{ {name}(x: {'[' * d}1{']' * d}) }}"),
            st.integers(1000, 6000).map(lambda n: f"{op} {{ {' __typename' * n} }}"),
            st.integers(5, 400).map(lambda d: f"{op} {{ {name} {'{ x ' * d}{'}' * d} }}"),
        )
        bodies = st.one_of(
            documents.map(lambda doc: encode({"query": doc})),
            st.tuples(self.variables_document(name), st.integers(5, 5000)).map(deep_variables),
            st.integers(10_000, 400_000).map(
                lambda n: encode({"query": f'{op} {{ {name}(x: "{"y" * n}") }}'})
            ),
        )
        return bodies.map(lambda body: ("huge", body))

    def variables_document(self, name: str) -> st.SearchStrategy[str]:
        root_field = self.root_type.fields[name]
        if not root_field.args:
            return st.just(f"{self.group.operation} {{ {name} }}")
        first, argument = next(iter(root_field.args.items()))
        return st.just(
            f"{self.group.operation} Fuzz($v0: {argument.type}) {{ {name}({first}: $v0)"
            f"{' { __typename }' if composite(root_field.type) else ''} }}"
        )

    def transport_cases(self) -> st.SearchStrategy[Case]:
        """Bodies and requests that are wrong before GraphQL sees them."""
        name = self.group.fields[0]
        document = self.valid(name)
        json_body = document.map(lambda doc: encode({"query": doc}))
        non_json = st.one_of(
            st.binary(max_size=200),
            st.sampled_from(
                [
                    b"",
                    b"null",
                    b"[]",
                    b'"query"',
                    b"1e999",
                    b"\xff\xfe{",
                    b'{"query": "{ __typename }"',
                    b'{"query": "\xff"}',
                    b'{"query": "{ __typename }"} trailing',
                ]
            ),
            json_body.map(lambda b: b"[" + b + b"," + b + b"]"),
        )
        content_types = st.sampled_from(
            [
                None,
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "application/graphql",
                "application/json; charset=latin-1",
                "application/xml",
                "application/json",
            ]
        )
        persona = st.sampled_from(PERSONAS)
        return st.one_of(
            st.builds(lambda body, p: Case("non-JSON body", name, p, body), non_json, persona),
            st.builds(
                lambda body, ct, p: Case("wrong content type", name, p, body, content_type=ct),
                st.one_of(json_body, non_json),
                content_types,
                persona,
            ),
            st.builds(
                lambda doc, p: Case(
                    "query by GET", name, p, method="GET", content_type=None, params={"query": doc}
                ),
                document,
                persona,
            ),
            st.builds(
                lambda body, method, p: Case("other method", name, p, body, method=method),
                json_body,
                st.sampled_from(["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
                persona,
            ),
            st.builds(
                lambda doc, size, chunked, p: Case(
                    "oversized body",
                    name,
                    p,
                    encode({"query": doc, "variables": {"pad": "x" * size}}),
                    chunked=chunked,
                ),
                document,
                st.sampled_from([MAX_BODY - 100, MAX_BODY + 1, 2 * MAX_BODY]),
                st.booleans(),
                persona,
            ),
        )


def deep_variables(document_depth: tuple[str, int]) -> bytes:
    """A body whose first variable is a list nested ``depth`` times."""
    document, depth = document_depth
    nested = "[" * depth + "]" * depth
    return f'{{"query": {json.dumps(document)}, "variables": {{"v0": {nested}}}}}'.encode()


# ---------------------------------------------------------------- sending and judging


@dataclass
class Answer:
    status: int | None
    text: str
    parsed: Any = None
    failure: str | None = None

    @property
    def codes(self) -> list[str]:
        if not isinstance(self.parsed, dict) or not isinstance(self.parsed.get("errors"), list):
            return []
        return [
            str(((error or {}).get("extensions") or {}).get("code", "no code"))
            if isinstance(error, dict)
            else "malformed error"
            for error in self.parsed["errors"]
        ]

    @property
    def kind(self) -> str:
        if self.status is None:
            return f"no answer ({self.failure})"
        codes = self.codes
        return f"{self.status} {codes[0] if codes else 'ok'}"

    def shown(self) -> str:
        head = self.text[:ANSWER_SHOWN]
        return f"{self.status}: {head}{'...' if len(self.text) > ANSWER_SHOWN else ''}"


def leaked(answer: str, sent: str) -> list[str]:
    """The trace, driver or SQL markers in ``answer`` that were not just echoed from ``sent``."""
    if not harness.leaks_internals(answer):
        return []
    return [m for m in harness.TRACE_MARKERS if m in answer and m not in sent]


def judge(case: Case, answer: Answer, logged: str) -> list[str]:
    """What is wrong with ``answer``: empty when nothing."""
    if answer.status is None:
        return [f"no answer: {answer.failure}"]
    wrong = []
    if answer.status >= 500:
        wrong.append(f"HTTP {answer.status}")
    if case.method == "HEAD":
        pass  # a HEAD answer has no body by definition
    elif not isinstance(answer.parsed, dict):
        wrong.append("not a JSON object")
    elif "data" not in answer.parsed and "errors" not in answer.parsed:
        wrong.append("neither data nor errors")
    if "INTERNAL_SERVER_ERROR" in answer.codes:
        wrong.append("INTERNAL_SERVER_ERROR")
    sent = case.body.decode("utf-8", "replace") + json.dumps(case.params or {})
    if markers := leaked(answer.text, sent):
        wrong.append(f"leaks internals {markers}")
    if logged and not wrong:
        wrong.append("the server logged an error")
    return wrong


class Client:
    """Sends cases as the personas, signing them in again when a fuzzed mutation
    (``logout``, ``logoutEverywhere``) ended their session."""

    def __init__(self, server: harness.Server) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base, timeout=TIMEOUT)
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}
        self.sign_ins = Counter[str]()
        for persona in ("admin", "staff"):
            self.sign_in(persona)

    def sign_in(self, persona: str) -> None:
        username = harness.bank.ADMIN if persona == "admin" else STAFF

        async def signed_in() -> dict[str, str]:
            async with httpx.AsyncClient(base_url=self.server.base, timeout=TIMEOUT) as http:
                return await harness.sign_in(http, username)

        self.headers[persona] = asyncio.run(signed_in())
        self.sign_ins[persona] += 1

    def close(self) -> None:
        self.http.close()

    def send(self, case: Case) -> Answer:
        answer = self._send(case)
        if case.persona != "anonymous" and "UNAUTHENTICATED" in answer.codes:
            self.sign_in(case.persona)
            answer = self._send(case)
        return answer

    def _send(self, case: Case) -> Answer:
        headers = dict(self.headers[case.persona])
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
        content: bytes | Iterator[bytes] | None = case.body or None
        if case.chunked and case.body:
            body = case.body
            content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
        try:
            response = self.http.request(
                case.method, "/graphql", headers=headers, content=content, params=case.params
            )
        except httpx.TimeoutException:
            return Answer(None, "", failure="timed out")
        except httpx.TransportError as error:
            return Answer(None, "", failure=f"connection broken: {type(error).__name__}")
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        return Answer(response.status_code, response.text, parsed)


class ServerLog:
    """What the server wrote to its log since the last look: errors only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = path.stat().st_size if path.exists() else 0

    def news(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.seen)
            new = log.read()
        self.seen += len(new)
        return "\n".join(
            said for line in new.decode("utf-8", "replace").splitlines() if (said := error_in(line))
        )


def error_in(line: str) -> str:
    """An error the server logged (its message and the exception's last line), or ''."""
    try:
        entry = json.loads(line)
    except ValueError:  # not the CRM's JSON: uvicorn's own, or a crash
        return line if "Traceback" in line or "ERROR" in line else ""
    if not isinstance(entry, dict) or entry.get("level") not in ("error", "critical"):
        return ""
    exception = str(entry.get("exception", "")).strip().splitlines()
    return f"{entry.get('message')}: {exception[-1] if exception else ''}"


# ---------------------------------------------------------------- the run


class Anomaly(Exception):
    """A new kind of wrong answer: raised so that hypothesis shrinks the case."""


@dataclass
class GroupRun:
    """One group's fuzzing: its cases, its answers, its anomalies."""

    group: Group
    client: Client
    log: ServerLog
    cases: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    anomalies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    last_failure: tuple[tuple[str, str], Case, Answer, str] | None = None

    def check(self, case: Case) -> None:
        answer = self.client.send(case)
        logged = self.log.news()
        self.cases += 1
        self.kinds[case.kind] += 1
        self.answers[answer.kind] += 1
        for wrong in judge(case, answer, logged):
            where = case.kind if case.kind in TRANSPORT else case.root
            signature = (where, wrong)
            if signature in self.anomalies:
                self.anomalies[signature]["seen"] += 1
                continue
            self.last_failure = (signature, case, answer, logged)
            raise Anomaly(f"{case.root}: {wrong}")

    def fuzz(self, strategy: st.SearchStrategy[Case], examples: int, seed_: int | None) -> None:
        """Run until a pass finds no new anomaly; each new one is shrunk and kept."""
        chosen = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=seed_ is None,
            report_multiple_bugs=False,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )

        @chosen
        @given(strategy)
        def send_case(case: Case) -> None:
            self.check(case)

        if seed_ is not None:
            send_case = seed(seed_)(send_case)
        for _ in range(PASSES):
            self.last_failure = None
            try:
                send_case()
                return
            except (Anomaly, Flaky, ExceptionGroup):
                if self.last_failure is None:
                    raise
                signature, case, answer, logged = self.last_failure
                self.anomalies[signature] = {
                    "group": self.group.name,
                    "where": signature[0],
                    "anomaly": signature[1],
                    "seen": 1,
                    "minimal example": case.describe(),
                    "answer": answer.shown(),
                    **({"server log": logged} if logged else {}),
                }
        self.anomalies[("", "gave up")] = {
            "group": self.group.name,
            "anomaly": f"still finding new anomalies after {PASSES} passes",
        }

    def figures(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "cases by kind": dict(self.kinds.most_common()),
            "answers by kind": dict(self.answers.most_common()),
            "anomalies": len(self.anomalies),
        }


def served_schema(client: Client) -> graphql.GraphQLSchema:
    """The schema as the server serves it, by introspection."""
    response = client.http.post(
        "/graphql",
        json={"query": graphql.get_introspection_query()},
        headers=client.headers["admin"],
    )
    return graphql.build_client_schema(response.json()["data"])


def node_ids(schema: graphql.GraphQLSchema) -> list[str]:
    """Real-looking IDs of every Node type (rows 1 to 6), the personas' own users aside:
    a fuzzed ``disableUser`` must not lock the fuzzer out."""
    node = schema.type_map.get("Node")
    if not isinstance(node, graphql.GraphQLInterfaceType):
        return []
    personas = {harness.global_id("User", 1), harness.global_id("User", 3)}
    return [
        identifier
        for type_ in schema.get_possible_types(node)
        for key in range(1, 7)
        if (identifier := harness.global_id(type_.name, key)) not in personas
    ]


def fuzz_groups(
    server: harness.Server, cases: int, seed_: int | None, only: set[str] | None
) -> tuple[list[GroupRun], dict[str, int]]:
    """Every group in turn (synchronous: hypothesis drives one request at a time)."""
    client = Client(server)
    warnings.simplefilter("ignore", HypothesisWarning)  # reprs of the big strategies
    try:
        schema = served_schema(client)
        values = Values(schema, id_strategy(node_ids(schema)))
        runs = []
        for group in root_field_groups(schema):
            if only and group.name not in only:
                continue
            run_ = GroupRun(group, client, ServerLog(server.log))
            run_.fuzz(Generator(schema, group, values).cases(), cases, seed_)
            print(f"  {group.name:<20}{run_.cases:>7} cases{len(run_.anomalies):>4} anomalies")
            runs.append(run_)
        return runs, dict(client.sign_ins)
    finally:
        client.close()


async def run(
    target: str,
    cases: int = 500,
    seed: int | None = None,
    groups: set[str] | None = None,
) -> dict[str, Any]:
    """Fuzz every root field group with ``cases`` cases at least, then check the ledger."""
    the_bank = await harness.small_bank(target)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crm-fuzz-") as folder:
        log = Path(folder) / "serve.log"
        async with harness.served(
            the_bank.url, log, workers=harness.workers_for(the_bank.url)
        ) as server:
            runs, sign_ins = await asyncio.to_thread(fuzz_groups, server, cases, seed, groups)
        said = log.read_text(encoding="utf-8", errors="replace")
    kept = await harness.invariants(the_bank)
    kept["the accounts' total"]["applies"] = False  # fuzzed deposits may succeed
    anomalies = [a for r in runs for a in r.anomalies.values()]
    answers: Counter[str] = Counter()
    for r in runs:
        answers.update(r.answers)
    return {
        "scenario": "fuzz",
        "cases per group (at least)": cases,
        "seed": seed if seed is not None else "derandomized",
        "seconds": round(time.perf_counter() - started, 1),
        "operations": sum(r.cases for r in runs),
        "groups": {r.group.name: r.figures() for r in runs},
        "answers by kind": dict(answers.most_common()),
        "sign-ins (again after a fuzzed logout)": sign_ins,
        "errors in the server's log": sum(1 for line in said.splitlines() if error_in(line)),
        "anomalies": anomalies,
        "invariants": kept,
    }


def invariants_kept(figures: dict[str, Any]) -> bool:
    return all(i["kept"] for i in figures["invariants"].values() if i.get("applies", True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite path or PostgreSQL URL (replaced)")
    parser.add_argument("--cases", type=int, default=500, help="cases per root field group")
    parser.add_argument("--seed", type=int, default=None, help="default: derandomized")
    parser.add_argument(
        "--group", action="append", help="only this group, e.g. 'finance mutation' (repeatable)"
    )
    options = parser.parse_args(argv)
    figures = asyncio.run(
        run(options.db, options.cases, options.seed, set(options.group) if options.group else None)
    )
    harness.report("fuzz", harness.bank.database_url(options.db), figures)
    return 0 if not figures["anomalies"] and invariants_kept(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
