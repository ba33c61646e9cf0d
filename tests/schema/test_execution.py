"""Plain fields executed directly answer exactly what graphql-core's own
execution answers: the same data, the same errors at the same paths, and the
resolvers that need ``info`` still called through strawberry."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.types import Info

from schema.execution import PlainFieldExecutor


@dataclass
class Row:
    """What a loader hands over: a plain object, not a strawberry type."""

    id: int
    name: str | None
    amount: int
    tags: list[str]
    parts: list[Row]


@strawberry.enum
class Direction(enum.Enum):
    IN = "IN"
    OUT = "OUT"


@strawberry.type
class Amount:
    value: int
    doubled: int


class Never(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


SEEN_BY_INFO: list[str] = []


@strawberry.type
class Item(relay.Node):
    id: relay.NodeID[int]
    name: str | None
    tags: list[str]
    parts: list[Item]

    @strawberry.field
    def direction(self, root: strawberry.Parent[Row]) -> Direction:
        return Direction.IN if root.amount >= 0 else Direction.OUT

    @strawberry.field
    def amount(self, root: strawberry.Parent[Row]) -> Amount:
        return Amount(value=root.amount, doubled=root.amount * 2)

    @strawberry.field
    def required_name(self, root: strawberry.Parent[Row]) -> str:
        return root.name  # type: ignore[return-value] - None for some rows: an error

    @strawberry.field
    def fails(self, root: strawberry.Parent[Row]) -> int | None:
        if root.amount < 0:
            raise ValueError("no amount below zero")
        return root.amount

    @strawberry.field
    def viewer(self, root: strawberry.Parent[Row], info: Info) -> str:
        SEEN_BY_INFO.append(info.path.key)  # type: ignore[arg-type]
        return f"{info.context['viewer']} sees {root.id}"

    @strawberry.field
    async def later(self, root: strawberry.Parent[Row]) -> int:
        return root.id * 10

    @strawberry.field(permission_classes=[Never])
    def secret(self, root: strawberry.Parent[Row]) -> str:
        return "should never be shown"

    @strawberry.field
    def scaled(self, root: strawberry.Parent[Row], by: int = 1) -> int:
        return root.amount * by

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Row | Item)


ROWS = [
    Row(1, "一", 5, ["a", "b"], [Row(11, "一一", 1, [], [])]),
    Row(2, None, -3, [], []),
    Row(3, "三", 0, ["c"], [Row(31, None, -1, ["d"], []), Row(32, "三二", 2, [], [])]),
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ROWS  # type: ignore[return-value]

    @strawberry.field
    def wrong(self) -> list[Item]:
        return [ROWS[0], "not a row"]  # type: ignore[list-item]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query)
    direct = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutor)
    return plain, direct


async def both(query: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer of graphql-core's own execution and of the direct one."""
    answers = []
    for schema in schemas():
        result = await schema.execute(query, context_value={"viewer": "王经理"})
        answers.append(
            {
                "data": result.data,
                "errors": sorted((e.message, tuple(e.path or ())) for e in result.errors or []),
            }
        )
    return answers[0], answers[1]


PLAIN_FIELDS = """
{ items {
    id name tags __typename direction
    amount { value doubled }
    total: amount { doubled }
    parts { id name direction amount { value } parts { id } }
} }
"""


async def test_plain_fields_answer_as_graphql_core_does():
    expected, answer = await both(PLAIN_FIELDS)

    assert answer == expected
    assert answer["errors"] == []
    first = answer["data"]["items"][0]
    assert first["amount"] == {"value": 5, "doubled": 10}
    assert first["total"] == {"doubled": 10}
    assert first["parts"][0]["direction"] == "IN"
    assert list(first) == [
        "id", "name", "tags", "__typename", "direction", "amount", "total", "parts",
    ]  # fmt: skip


async def test_plain_and_other_fields_mixed_keep_the_order_asked_for():
    query = "{ items { later id viewer name scaled(by: 3) direction } }"

    expected, answer = await both(query)

    assert answer == expected
    assert list(answer["data"]["items"][2]) == [
        "later", "id", "viewer", "name", "scaled", "direction",
    ]  # fmt: skip
    assert answer["data"]["items"][0]["scaled"] == 15


async def test_fragments_aliases_and_directives_select_the_same_fields():
    query = """
    query { items { ...bits again: name skipped: id @skip(if: true) kept: id @include(if: true) } }
    fragment bits on Item { name amount { ... on Amount { value } } }
    """

    expected, answer = await both(query)

    assert answer == expected
    assert "skipped" not in answer["data"]["items"][0]


async def test_a_null_where_the_schema_promises_a_value_is_reported_at_its_path():
    expected, answer = await both("{ items { id requiredName } }")

    assert answer == expected
    assert answer["data"] is None  # the error reaches the non-null list of items
    assert answer["errors"] == [
        (
            "Cannot return null for non-nullable field Item.requiredName.",
            ("items", 1, "requiredName"),
        )
    ]


async def test_a_resolver_that_raises_is_reported_at_its_path():
    expected, answer = await both("{ items { id fails parts { fails } } }")

    assert answer == expected
    assert answer["data"]["items"][1]["fails"] is None
    assert ("no amount below zero", ("items", 2, "parts", 0, "fails")) in answer["errors"]


async def test_a_row_of_the_wrong_type_is_refused_as_before():
    expected, answer = await both("{ wrong { id name } }")

    assert answer == expected
    assert answer["data"] is None
    assert len(answer["errors"]) == 1


async def test_permissions_are_still_checked():
    expected, answer = await both("{ items { id secret } }")

    assert answer == expected
    assert answer["errors"][0][0] == "Not for you."


async def test_resolvers_that_take_info_are_given_it():
    SEEN_BY_INFO.clear()

    _, answer = await both("{ items { viewer } }")

    assert [item["viewer"] for item in answer["data"]["items"]] == [
        "王经理 sees 1",
        "王经理 sees 2",
        "王经理 sees 3",
    ]
    assert SEEN_BY_INFO == ["viewer"] * 6  # three rows, each schema


async def test_node_ids_are_the_relay_ids():
    expected, answer = await both("{ items { id parts { id } } }")

    assert answer == expected
    assert answer["data"]["items"][0]["id"] == relay.to_base64("Item", 1)
    assert answer["data"]["items"][0]["parts"][0]["id"] == relay.to_base64("Item", 11)


class CountingExecutor(PlainFieldExecutor):
    """Notes each field graphql-core executes itself."""

    executed: ClassVar[list[str]] = []

    def execute_field(self, parent_type: Any, source: Any, field_details_list: Any, *rest: Any):
        self.executed.append(f"{parent_type.name}.{field_details_list[0].node.name.value}")
        return super().execute_field(parent_type, source, field_details_list, *rest)


async def test_only_the_fields_that_need_it_go_through_graphql_core():
    CountingExecutor.executed = []
    schema = strawberry.Schema(query=Query, execution_context_class=CountingExecutor)

    result = await schema.execute(
        "{ items { id name direction amount { value } parts { name } later viewer } }",
        context_value={"viewer": "王经理"},
    )

    assert result.errors is None
    assert sorted(set(CountingExecutor.executed)) == ["Item.later", "Item.viewer", "Query.items"]
    assert CountingExecutor.executed.count("Item.viewer") == 3
