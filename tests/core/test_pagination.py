from __future__ import annotations

import pytest
from sqlalchemy import select
from strawberry.relay.utils import to_base64

from core.db import Mode
from core.errors import RequestError
from core.ids import MAX_ID
from core.pagination import (
    DEFAULT_PAGE_SIZE,
    count,
    decode_cursor,
    encode_cursor,
    keyset_page,
    page_size,
)
from core.runtime import Runtime
from plugins.security import services
from plugins.security.models import Branch


@pytest.mark.parametrize("key", [1, 4096, MAX_ID])
def test_a_cursor_decodes_to_the_key_it_was_made_from(key: int) -> None:
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize("key", [0, -1, MAX_ID + 1, 2**53])
def test_a_cursor_outside_the_id_range_is_refused(key: int) -> None:
    with pytest.raises(RequestError) as refused:
        decode_cursor(encode_cursor(key))

    assert refused.value.extensions == {"code": "INVALID_CURSOR"}


def test_cursors_are_opaque() -> None:
    assert "17" not in encode_cursor(17)


@pytest.mark.parametrize(
    "cursor",
    [
        to_base64("User", 1),
        to_base64("cursor", "seventeen"),
        "not a cursor",
        "",
        "Y3Vyc29y",
        "游标",
        "////",
    ],
    ids=["global-id", "non-numeric", "garbage", "empty", "no-separator", "non-ascii", "bad-utf8"],
)
def test_a_cursor_this_api_did_not_give_out_is_refused(cursor: str) -> None:
    with pytest.raises(RequestError) as refused:
        decode_cursor(cursor)

    assert refused.value.extensions == {"code": "INVALID_CURSOR"}


def test_the_default_page_size_is_twenty() -> None:
    assert DEFAULT_PAGE_SIZE == 20
    assert page_size(None, maximum=100) == 20


@pytest.mark.parametrize("first", [0, 1, 100])
def test_a_page_size_within_bounds_is_kept(first: int) -> None:
    assert page_size(first, maximum=100) == first


@pytest.mark.parametrize("first", [-1, 101, 10**9])
def test_a_page_size_out_of_bounds_is_refused_naming_the_maximum(first: int) -> None:
    with pytest.raises(RequestError, match="between 0 and 100") as refused:
        page_size(first, maximum=100)

    assert refused.value.extensions == {"code": "INVALID_PAGE_SIZE"}


def test_the_default_page_size_never_exceeds_the_maximum() -> None:
    assert page_size(None, maximum=10) == 10


async def add_branches(runtime: Runtime, *codes: str) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        for code in codes:
            await services.create_branch(session, code, f"{code} 支行")


async def test_keyset_pages_walk_the_rows_in_key_order(runtime: Runtime) -> None:
    await add_branches(runtime, "BR-01", "BR-02", "BR-03")
    statement = select(Branch)

    async with runtime.database.transaction(Mode.READ) as session:
        first = await keyset_page(session, statement, Branch.id, first=2, after=None, maximum=100)
        second = await keyset_page(
            session, statement, Branch.id, first=2, after=first.page_info.end_cursor, maximum=100
        )
        first_codes = [branch.code for branch in first.rows]
        second_codes = [branch.code for branch in second.rows]

    assert first_codes == ["BR-01", "BR-02"]
    assert first.page_info.has_next_page
    assert not first.page_info.has_previous_page
    assert second_codes == ["BR-03"]
    assert not second.page_info.has_next_page
    assert second.page_info.has_previous_page


async def test_a_page_cursor_names_each_row(runtime: Runtime) -> None:
    await add_branches(runtime, "BR-01", "BR-02")

    async with runtime.database.transaction(Mode.READ) as session:
        page = await keyset_page(
            session, select(Branch), Branch.id, first=None, after=None, maximum=100
        )
        ids = [branch.id for branch in page.rows]

    assert [decode_cursor(cursor) for cursor in page.cursors] == ids
    assert page.page_info.start_cursor == page.cursors[0]
    assert page.page_info.end_cursor == page.cursors[-1]


async def test_an_empty_page_has_no_cursors(runtime: Runtime) -> None:
    async with runtime.database.transaction(Mode.READ) as session:
        page = await keyset_page(
            session, select(Branch), Branch.id, first=5, after=None, maximum=100
        )

    assert page.rows == []
    assert page.page_info.start_cursor is None
    assert page.page_info.end_cursor is None
    assert not page.page_info.has_next_page


async def test_count_counts_what_the_statement_selects(runtime: Runtime) -> None:
    await add_branches(runtime, "BJ-001", "BJ-002", "SH-001")

    async with runtime.database.transaction(Mode.READ) as session:
        beijing = await count(session, select(Branch).where(Branch.code.startswith("BJ")))
        nowhere = await count(session, select(Branch).where(Branch.code == "XX-000"))

    assert (beijing, nowhere) == (2, 0)
