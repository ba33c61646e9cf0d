"""The data-scope rule, as a clause with its values (``in_scope``) and as one
built once per shape taking them as parameters (``in_reach``): the two must find
the same customers for every kind of principal and every state of a share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.authorization import Principal, Role
from core.db import Mode
from plugins.customer.models import Customer
from plugins.customer.scope import Reach, in_reach, in_scope, reach_of
from tests.plugins.customer.conftest import BJ, SH, Bank


async def principal(bank: Bank, username: str, *roles: Role, branch: str | None) -> Principal:
    return Principal(
        user_id=bank.user_ids[username],
        username=username,
        roles=frozenset(roles),
        branch_id=bank.branch_ids[branch] if branch else None,
        permissions=frozenset(),
    )


async def found(bank: Bank, viewer: Principal) -> tuple[set[str], set[str]]:
    """The names of the customers ``in_scope`` finds, and those ``in_reach`` finds."""
    reach, values = reach_of(viewer)
    async with bank.runtime.database.transaction(Mode.READ) as session:
        by_value = await session.scalars(select(Customer.name).where(in_scope(viewer)))
        by_parameters = await session.scalars(select(Customer.name).where(in_reach(reach)), values)
        return set(by_value), set(by_parameters)


STAFF = {
    "admin": (Role.ADMIN, None, Reach.EVERY_CUSTOMER, {"managed", "unmanaged", "shanghai"}),
    "bj.manager": (Role.BRANCH_MANAGER, BJ, Reach.BRANCH, {"managed", "unmanaged"}),
    "bj.rm": (Role.RELATIONSHIP_MANAGER, BJ, Reach.PORTFOLIO, {"managed"}),
    "sh.teller": (Role.TELLER, SH, Reach.BRANCH, {"shanghai"}),
}
"""Each member of staff: their role, branch and reach, and the customers they find."""


@pytest.mark.parametrize("username", list(STAFF))
async def test_both_forms_find_the_customers_in_scope(bank, trio, username):
    role, branch, reach, visible = STAFF[username]
    viewer = await principal(bank, username, role, branch=branch)

    by_value, by_parameters = await found(bank, viewer)

    assert reach_of(viewer)[0] is reach
    assert by_value == by_parameters
    assert by_value == visible


@pytest.mark.parametrize(
    ("lasting", "revoked", "sees"),
    [
        (timedelta(days=1), False, True),
        (-timedelta(seconds=1), False, False),
        (timedelta(days=1), True, False),
    ],
    ids=["lasting", "expired", "revoked"],
)
async def test_both_forms_follow_a_share(bank, trio, lasting, revoked, sees):
    await bank.share(trio["shanghai"], "bj.rm", lasting=lasting, revoked=revoked)
    viewer = await principal(bank, "bj.rm", Role.RELATIONSHIP_MANAGER, branch=BJ)

    by_value, by_parameters = await found(bank, viewer)

    assert by_value == by_parameters == ({"managed", "shanghai"} if sees else {"managed"})
