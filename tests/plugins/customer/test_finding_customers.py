"""``customers``: filters, search, ordering and Relay pages, within the viewer's scope."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay.utils import to_base64

from core.pagination import CURSOR_PREFIX
from tests.plugins.customer.conftest import (
    CUSTOMERS,
    SH,
    Bank,
    error_codes,
    global_id,
    names,
)


async def customers(bank: Bank, by: str = "admin", **arguments: Any) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    return (await caller.data(CUSTOMERS, arguments))["customers"]


async def found(bank: Bank, by: str = "admin", **filter: Any) -> set[str]:
    """The names of every customer ``filter`` finds."""
    connection = await customers(bank, by, first=100, filter=filter)
    assert connection["totalCount"] == len(connection["edges"])
    return set(names(connection))


@pytest.fixture
async def people(bank: Bank) -> dict[str, dict[str, Any]]:
    """Four customers of different kinds, tiers, risk profiles, tags, branches and managers."""
    wang = await bank.register(name="王小明", phone="13812345678")
    await bank.change(wang, tier="WEALTH", risk_profile="C3")
    await bank.tag(wang, "高净值", "企业主")
    await bank.assign(wang, "bj.rm")
    li = await bank.register(name="李小红")
    await bank.change(li, risk_profile="C1")
    await bank.tag(li, "高净值")
    company = await bank.register(
        kind="CORPORATE", name="星辰科技有限公司", idNumber="91350100M000100Y43"
    )
    await bank.change(company, tier="PRIVATE")
    zhang = await bank.register(name="张伟", branchCode=SH, phone="13987654321")
    await bank.change(zhang, tier="AFFLUENT", risk_profile="C5")
    await bank.tag(zhang, "退休")
    return {"wang": wang, "li": li, "company": company, "zhang": zhang}


# --- Filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, {"王小明", "李小红", "星辰科技有限公司", "张伟"}),
        ({"kind": "CORPORATE"}, {"星辰科技有限公司"}),
        ({"kind": "INDIVIDUAL"}, {"王小明", "李小红", "张伟"}),
        ({"tier": ["WEALTH", "PRIVATE"]}, {"王小明", "星辰科技有限公司"}),
        ({"tier": ["MASS"]}, {"李小红"}),
        ({"riskProfile": ["C1", "C5"]}, {"李小红", "张伟"}),
        ({"tags": ["高净值"]}, {"王小明", "李小红"}),
        ({"tags": ["高净值", "企业主"]}, {"王小明"}),
        ({"tags": ["高净值", "退休"]}, set()),
        ({"branchCode": SH}, {"张伟"}),
        ({"branchCode": " sh-001 "}, {"张伟"}),
        ({"branchCode": "GZ-001"}, set()),
        ({"kind": "INDIVIDUAL", "branchCode": "BJ-001", "tags": ["高净值"]}, {"王小明", "李小红"}),
    ],
    ids=[
        "none",
        "corporate",
        "individual",
        "tiers",
        "mass-tier",
        "risk-profiles",
        "tag",
        "every-tag",
        "tags-nobody-has-together",
        "branch",
        "branch-code-spelling",
        "unknown-branch",
        "combined",
    ],
)
async def test_a_filter_finds_the_customers_matching_all_it_gives(bank, people, filter, expected):
    assert await found(bank, **filter) == expected


async def test_a_relationship_manager_filter_finds_that_managers_customers(bank, people):
    assert await found(bank, relationshipManagerId=bank.user("bj.rm")) == {"王小明"}
    assert await found(bank, relationshipManagerId=bank.user("sh.rm")) == set()


@pytest.mark.parametrize("type_name", ["Branch", "Customer", "User"])
async def test_a_relationship_manager_id_naming_no_user_finds_nobody(bank, people, type_name):
    node_id = bank.branch_ids["BJ-001"] if type_name == "Branch" else "not-a-number"

    assert await found(bank, relationshipManagerId=global_id(type_name, node_id)) == set()


async def test_closed_customers_are_found_only_when_asked_for(bank, people):
    await bank.change(people["li"], status="CLOSED")

    assert "李小红" not in await found(bank)
    assert await found(bank, status=["CLOSED"]) == {"李小红"}
    assert "李小红" in await found(bank, status=["ACTIVE", "CLOSED"])


async def test_a_filter_never_reaches_beyond_the_viewers_scope(bank, people):
    assert await found(bank, "bj.teller", branchCode=SH) == set()
    assert await found(bank, "bj.rm", tags=["高净值"]) == {"王小明"}


# --- Search -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王小明", {"王小明"}),
        ("小", {"王小明", "李小红"}),
        ("星辰", {"星辰科技有限公司"}),
        ("  有限公司 ", {"星辰科技有限公司"}),
        ("赵", set()),
        ("", {"王小明", "李小红", "星辰科技有限公司", "张伟"}),
        ("   ", {"王小明", "李小红", "星辰科技有限公司", "张伟"}),
    ],
    ids=["whole-name", "one-character", "start", "end-with-spaces", "nobody", "empty", "blank"],
)
async def test_search_finds_customers_by_part_of_their_name(bank, people, text, expected):
    assert await found(bank, search=text) == expected


@pytest.mark.parametrize("text", ["Acme", "acme", "ACME"])
async def test_search_ignores_the_case_of_latin_letters_in_a_name(bank, text):
    await bank.register(kind="CORPORATE", name="Acme 中国有限公司", idNumber="91350100M000100Y43")

    assert await found(bank, search=text) == {"Acme 中国有限公司"}


@pytest.mark.parametrize("spelling", [str, str.lower, lambda number: f" {number} "])
async def test_search_finds_a_customer_by_customer_number(bank, people, spelling):
    assert await found(bank, search=spelling(people["li"]["customerNo"])) == {"李小红"}


@pytest.mark.parametrize(
    "text",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678"],
)
async def test_search_finds_a_customer_by_phone(bank, people, text):
    assert await found(bank, search=text) == {"王小明"}


@pytest.mark.parametrize("text", ["%", "_", "王%", "王_明", "\\"])
async def test_search_treats_wildcards_as_plain_characters(bank, people, text):
    assert await found(bank, search=text) == set()


async def test_search_finds_a_name_holding_a_wildcard(bank, people):
    await bank.register(name="百分百_100%")

    assert await found(bank, search="100%") == {"百分百_100%"}
    assert await found(bank, search="_") == {"百分百_100%"}


async def test_search_never_reaches_beyond_the_viewers_scope(bank, people):
    assert await found(bank, "bj.teller", search="13987654321") == set()
    assert await found(bank, "bj.teller", search=people["zhang"]["customerNo"]) == set()
    assert await found(bank, "bj.rm", search="小") == {"王小明"}


# --- Order ------------------------------------------------------------------------------


@pytest.fixture
async def three(bank: Bank) -> list[dict[str, Any]]:
    """陈晨, 安娜 and 白雪, registered in that order (their names sort 安, 白, 陈)."""
    return [await bank.register(name=name) for name in ("陈晨", "安娜", "白雪")]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (None, ["白雪", "安娜", "陈晨"]),
        ("NEWEST", ["白雪", "安娜", "陈晨"]),
        ("NAME", ["安娜", "白雪", "陈晨"]),
        ("CUSTOMER_NO", ["陈晨", "安娜", "白雪"]),
    ],
)
async def test_customers_come_in_the_order_asked_for(bank, three, order, expected):
    arguments = {"orderBy": order} if order else {}

    assert names(await customers(bank, **arguments)) == expected


# --- Pages ------------------------------------------------------------------------------


@pytest.fixture
async def seven(bank: Bank) -> list[dict[str, Any]]:
    """Seven customers of BJ-001, three of them with the same name."""
    return [
        await bank.register(name=name)
        for name in ("陈晨", "安娜", "白雪", "安娜", "韩梅", "安娜", "白雪")
    ]


async def walk(bank: Bank, size: int, **arguments: Any) -> list[dict[str, Any]]:
    pages = [await customers(bank, first=size, **arguments)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        after = pages[-1]["pageInfo"]["endCursor"]
        pages.append(await customers(bank, first=size, after=after, **arguments))
    return pages


def numbers(pages: list[dict[str, Any]]) -> list[str]:
    return [edge["node"]["customerNo"] for page in pages for edge in page["edges"]]


@pytest.mark.parametrize("order", ["NEWEST", "NAME", "CUSTOMER_NO"])
async def test_pages_walk_every_customer_once_in_order(bank, seven, order):
    whole = await customers(bank, first=100, orderBy=order)

    pages = await walk(bank, 2, orderBy=order)

    assert [len(page["edges"]) for page in pages] == [2, 2, 2, 1]
    assert numbers(pages) == numbers([whole])


async def test_a_customer_registered_between_pages_neither_repeats_nor_hides_one(bank, seven):
    before = await customers(bank, first=100)
    first = await customers(bank, first=3)
    await bank.register(name="新客户")

    rest = await customers(bank, first=100, after=first["pageInfo"]["endCursor"])

    assert numbers([first, rest]) == numbers([before])


async def test_page_info_tells_where_a_page_stands(bank, seven):
    first, second, last = await walk(bank, 3, orderBy="NAME")

    flags = [
        (page["pageInfo"]["hasPreviousPage"], page["pageInfo"]["hasNextPage"])
        for page in (first, second, last)
    ]
    assert flags == [(False, True), (True, True), (True, False)]


async def test_the_first_page_tells_there_is_more_and_where_it_ends(bank, seven):
    page = await customers(bank, first=3, orderBy="NAME")

    assert names(page) == ["安娜", "安娜", "安娜"]
    assert page["pageInfo"] == {
        "hasPreviousPage": False,
        "hasNextPage": True,
        "startCursor": page["edges"][0]["cursor"],
        "endCursor": page["edges"][-1]["cursor"],
    }


async def test_a_page_holding_the_last_customer_tells_there_is_no_more(bank, seven):
    page = await customers(bank, first=7)

    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [1, 3, 7, 100])
async def test_total_count_counts_every_match_whatever_the_page_size(bank, seven, first):
    assert (await customers(bank, first=first))["totalCount"] == 7
    assert (await customers(bank, first=first, filter={"search": "安娜"}))["totalCount"] == 3


async def test_a_page_of_none_still_counts_the_matches(bank, seven):
    page = await customers(bank, first=0)

    assert (page["edges"], page["totalCount"]) == ([], 7)


async def test_the_matches_are_counted_only_when_total_count_is_asked_for(bank, seven, sql):
    caller = await bank.sign_in("admin")
    edges = "{ customers(first: 3) { edges { node { name } } } }"
    counted = "{ customers(first: 3) { edges { node { name } } totalCount } }"
    await caller.data(edges)  # signed in and warmed up

    sql.reset()
    await caller.data(edges)
    without = sql.statements.copy()
    sql.reset()
    answer = await caller.data(counted)

    assert answer["customers"]["totalCount"] == 7
    assert len(sql.statements) == len(without) + 1
    assert not any("count(" in statement.lower() for statement in without)


async def test_without_first_a_page_holds_twenty(bank):
    for _ in range(21):
        await bank.register()

    page = await customers(bank)

    assert (len(page["edges"]), page["pageInfo"]["hasNextPage"]) == (20, True)


@pytest.mark.parametrize("first", [-1, 101])
async def test_a_page_size_out_of_bounds_is_refused(bank, first):
    admin = await bank.sign_in("admin")

    body = await admin.execute(CUSTOMERS, {"first": first})

    assert error_codes(body) == ["INVALID_PAGE_SIZE"]


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", to_base64(CURSOR_PREFIX, "[1]"), to_base64(CURSOR_PREFIX, '["x", "y"]')],
)
async def test_a_cursor_this_api_did_not_give_out_is_refused(bank, seven, cursor):
    admin = await bank.sign_in("admin")

    body = await admin.execute(CUSTOMERS, {"after": cursor, "orderBy": "NEWEST"})

    assert error_codes(body) == ["INVALID_CURSOR"]


@pytest.mark.parametrize(("made_for", "used_for"), [("NEWEST", "NAME"), ("NAME", "CUSTOMER_NO")])
async def test_a_cursor_is_refused_in_another_order_than_its_own(bank, seven, made_for, used_for):
    admin = await bank.sign_in("admin")
    page = await customers(bank, first=2, orderBy=made_for)

    body = await admin.execute(
        CUSTOMERS, {"after": page["pageInfo"]["endCursor"], "orderBy": used_for}
    )

    assert error_codes(body) == ["INVALID_CURSOR"]


# --- Cost -------------------------------------------------------------------------------

WIDE = """
query($first: Int) {
  customers(first: $first) {
    edges { node { customerNo tier branch { code } relationshipManager { username } tags } }
    totalCount
  }
}
"""


async def test_a_page_costs_the_same_statements_whatever_its_size(bank, sql):
    for n in range(50):
        branch = SH if n % 3 == 0 else "BJ-001"
        customer = await bank.register(branchCode=branch)
        if n % 2 == 0:
            await bank.assign(customer, "sh.rm" if branch == SH else "bj.rm")
        await bank.tag(customer, f"标签{n % 4}", "新客户")
    admin = await bank.sign_in("admin")

    cost = {}
    for size in (5, 50):
        sql.reset()
        body = await admin.data(WIDE, {"first": size})
        assert len(body["customers"]["edges"]) == size
        cost[size] = sql.count

    assert cost[5] == cost[50]
