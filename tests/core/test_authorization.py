from __future__ import annotations

import pytest

from core.authorization import DataScope, Permission, PermissionTable, Principal, Role
from core.errors import ConfigurationError

READ = Permission("customer.read", "See customers.")
WRITE = Permission("customer.write", "Change customers.")
AUDIT = Permission("audit.read", "Read the audit trail.")


def principal(*roles: Role, branch_id: int | None = 7, user_id: int = 42) -> Principal:
    return Principal(
        user_id=user_id,
        username="someone",
        roles=frozenset(roles),
        branch_id=branch_id,
        permissions=frozenset(),
    )


def test_a_permission_defined_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"'customer\.read'"):
        PermissionTable([READ, Permission("customer.read", "Again.")], [])


def test_a_grant_of_an_undefined_permission_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        PermissionTable([READ], [{Role.TELLER: ["customer.delete"]}])

    assert "'customer.delete'" in str(refused.value)
    assert "TELLER" in str(refused.value)


def test_grants_from_several_plugins_are_unioned() -> None:
    table = PermissionTable(
        [READ, WRITE, AUDIT],
        [{Role.TELLER: ["customer.read"]}, {Role.TELLER: ["customer.write"]}],
    )

    assert table.for_roles([Role.TELLER]) == {"customer.read", "customer.write"}


def test_a_principal_holds_the_union_of_its_roles_permissions() -> None:
    table = PermissionTable(
        [READ, WRITE, AUDIT],
        [{Role.TELLER: ["customer.read"], Role.AUDITOR: ["audit.read"]}],
    )

    assert table.for_roles([Role.TELLER, Role.AUDITOR]) == {"customer.read", "audit.read"}
    assert table.for_roles([Role.MARKETING]) == frozenset()
    assert table.for_roles([]) == frozenset()


def test_require_defined_refuses_an_unknown_permission_naming_where_it_is_needed() -> None:
    table = PermissionTable([READ], [])

    table.require_defined("customer.read", "Query.customers")
    with pytest.raises(ConfigurationError, match=r"Query\.loyalty .*'loyalty\.read'"):
        table.require_defined("loyalty.read", "Query.loyalty")


def test_a_principal_can_only_what_its_permissions_allow() -> None:
    user = Principal(
        user_id=1,
        username="teller",
        roles=frozenset({Role.TELLER}),
        branch_id=1,
        permissions=frozenset({"customer.read"}),
    )

    assert user.can("customer.read")
    assert not user.can("customer.write")


@pytest.mark.parametrize("role", list(Role))
def test_head_office_staff_see_everything(role: Role) -> None:
    scope = principal(role, branch_id=None).scope

    assert scope == DataScope()
    assert scope.is_everything


@pytest.mark.parametrize("role", [Role.BRANCH_MANAGER, Role.TELLER, Role.SERVICE_AGENT])
def test_branch_staff_see_their_branch(role: Role) -> None:
    scope = principal(role, branch_id=7).scope

    assert scope == DataScope(branch_id=7)
    assert not scope.is_everything


def test_a_relationship_manager_sees_their_own_portfolio_within_their_branch() -> None:
    scope = principal(Role.RELATIONSHIP_MANAGER, branch_id=7, user_id=42).scope

    assert scope == DataScope(branch_id=7, portfolio_of=42)


def test_a_relationship_manager_who_also_manages_the_branch_sees_the_branch() -> None:
    scope = principal(Role.RELATIONSHIP_MANAGER, Role.BRANCH_MANAGER, branch_id=7).scope

    assert scope == DataScope(branch_id=7)
