"""DataLoaders: a page of users with their roles and branches costs a fixed number of statements."""

from __future__ import annotations

from tests.plugins.security.conftest import add_users

USERS_WITH_ROLES_AND_BRANCH = """
{
  users(first: 100) {
    totalCount
    edges { node { username roles branch { code name } } }
  }
}
"""


async def test_thirty_users_cost_as_many_statements_as_three(admin, staff, runtime, sql):
    branches = [await staff.branch(code, code) for code in ("BJ-001", "SH-001", "GZ-001")]
    await add_users(runtime, 2, branches, prefix="few")
    sql.reset()
    few = await admin.data(USERS_WITH_ROLES_AND_BRANCH)
    statements_for_three = sql.count

    await add_users(runtime, 27, branches, prefix="many")
    sql.reset()
    many = await admin.data(USERS_WITH_ROLES_AND_BRANCH)
    statements_for_thirty = sql.count

    assert few["users"]["totalCount"] == 3
    assert many["users"]["totalCount"] == 30
    staff_nodes = [edge["node"] for edge in many["users"]["edges"][1:]]
    assert {node["branch"]["code"] for node in staff_nodes} == {"BJ-001", "SH-001", "GZ-001"}
    assert {tuple(node["roles"]) for node in staff_nodes} == {("RELATIONSHIP_MANAGER",)}
    assert statements_for_thirty == statements_for_three
    assert statements_for_three <= 6
