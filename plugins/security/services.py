"""Branches and staff: the rules for creating and finding them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Role
from core.db import flush_or_refuse
from core.errors import BusinessError
from core.validation import clean_text
from plugins.security.models import (
    CODE_MAX,
    NAME_MAX,
    USERNAME_MAX,
    Branch,
    User,
    UserRole,
)
from plugins.security.passwords import hash_password, password_problem

BRANCH_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
ROLES_NEEDING_A_BRANCH = frozenset({Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER, Role.TELLER})


async def branch_by_code(session: AsyncSession, code: str) -> Branch | None:
    return await session.scalar(select(Branch).where(Branch.code == code.strip().upper()))


async def create_branch(session: AsyncSession, code: str, name: str) -> Branch:
    field = ["input", "code"]
    code = clean_text(code, field=field, max_length=CODE_MAX).upper()
    if not BRANCH_CODE.fullmatch(code):
        raise BusinessError(
            "INVALID_BRANCH_CODE",
            "A branch code is 2 to 32 letters, digits or hyphens, e.g. BJ-001.",
            field,
        )
    name = clean_text(name, field=["input", "name"], max_length=NAME_MAX)
    duplicate = BusinessError("DUPLICATE_BRANCH", f"Branch {code} already exists.", field)
    if await branch_by_code(session, code) is not None:
        raise duplicate
    branch = Branch(code=code, name=name)
    session.add(branch)
    await flush_or_refuse(session, duplicate)
    return branch


async def rename_branch(session: AsyncSession, code: str, name: str) -> Branch:
    branch = await branch_by_code(session, code)
    if branch is None:
        raise BusinessError("NOT_FOUND", "There is no such branch.", ["input", "code"])
    branch.name = clean_text(name, field=["input", "name"], max_length=NAME_MAX)
    session.add(branch)
    await session.flush()
    return branch


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[Role],
    branch_code: str | None,
) -> User:
    field = ["input", "username"]
    username = clean_text(username, field=field, max_length=USERNAME_MAX).lower()
    if not USERNAME.fullmatch(username):
        raise BusinessError(
            "INVALID_USERNAME",
            "A username is 3 to 64 lower-case letters, digits, dots, hyphens or underscores.",
            field,
        )
    display_name = clean_text(display_name, field=["input", "displayName"], max_length=NAME_MAX)
    if problem := password_problem(password, username):
        raise BusinessError("WEAK_PASSWORD", problem, ["input", "password"])
    branch_code = branch_code.strip() if branch_code else None
    if problem := roles_problem(roles, bool(branch_code)):
        raise BusinessError("INVALID_ROLES", problem, ["input", "roles"])
    branch = None
    if branch_code:
        branch = await branch_by_code(session, branch_code)
        if branch is None:
            raise BusinessError(
                "NOT_FOUND", f"There is no branch {branch_code.strip()}.", ["input", "branchCode"]
            )
    taken = BusinessError("DUPLICATE_USERNAME", f"The username {username} is taken.", field)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise taken

    user = User(
        username=username,
        display_name=display_name,
        password_hash=await hash_password(password),
        branch_id=branch.id if branch else None,
    )
    session.add(user)
    await flush_or_refuse(session, taken)
    session.add_all(UserRole(user_id=user.id, role=role) for role in set(roles))  # type: ignore[arg-type]
    await session.flush()
    return user


def roles_problem(roles: Sequence[Role], in_a_branch: bool) -> str | None:
    """Why a user (of a branch or of head office) cannot hold ``roles``, or None."""
    if not roles:
        return "Give the user at least one role."
    if not in_a_branch and (needing := ROLES_NEEDING_A_BRANCH.intersection(roles)):
        names = ", ".join(sorted(role.value for role in needing))
        return f"{names} work in a branch: give a branchCode."
    return None


async def roles_of(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, list[Role]]:
    rows = await session.execute(
        select(UserRole.user_id, UserRole.role)
        .where(UserRole.user_id.in_(user_ids))  # type: ignore[attr-defined]
        .order_by(UserRole.user_id, UserRole.role)
    )
    found: dict[int, list[Role]] = {user_id: [] for user_id in user_ids}
    for user_id, role in rows:
        found[user_id].append(Role(role))
    return found


async def active_user_may(
    session: AsyncSession, permissions: PermissionTable, user_id: int, permission: str
) -> bool:
    """Whether ``user_id`` is an active member of staff whose roles grant
    ``permission``: the test for giving someone work (an exception, a ticket)."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    roles = (await roles_of(session, [user_id]))[user_id]
    return permission in permissions.for_roles(roles)
