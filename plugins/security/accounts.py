"""Staff accounts after they are made: changing one's own password, and
administrators resetting passwords, disabling and enabling accounts; signing
out everywhere.

A reset sets a temporary password that only lets its holder change it
(``Principal.must_change_password``). A reset, a disabled account and a
password change end the account's other sign-in sessions at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.columns import utcnow
from core.errors import BusinessError
from core.row_lock import locked_row
from plugins.security.models import SignInSession, User, UserRole
from plugins.security.passwords import hash_password, password_problem, verify_password
from plugins.security.permissions import visible_branch
from plugins.security.second_factor import turn_off
from plugins.security.services import roles_problem


async def own_account(
    session: AsyncSession,
    principal: Principal,
    password: str | None = None,
    field: list[str] | None = None,
) -> User:
    """The signed-in user's account, locked; with ``password``, only if it is theirs."""
    user = await session.get_one(User, principal.user_id, with_for_update=True)
    if password is not None and not await verify_password(user.password_hash, password):
        raise BusinessError(
            "WRONG_PASSWORD", "The password is wrong.", field or ["input", "password"]
        )
    return user


async def change_own_password(
    session: AsyncSession, principal: Principal, current: str, new: str
) -> User:
    """Change the signed-in user's password; their other sessions end."""
    user = await own_account(session, principal, current, ["input", "currentPassword"])
    if new == current:
        raise BusinessError(
            "WEAK_PASSWORD", "Choose a password you have not used.", ["input", "newPassword"]
        )
    await _set_password(user, new, ["input", "newPassword"], temporary=False)
    await end_sessions(session, user.id, keeping=principal.session_id)  # type: ignore[arg-type]
    session.add(user)
    await session.flush()
    return user


async def reset_password(
    session: AsyncSession, by: Principal, user_id: int | None, temporary: str
) -> User:
    """Give a user a temporary password to be changed at the next sign-in;
    their second factor is turned off too (the usual reason for a reset is a
    lost phone), for them to enrol again."""
    user = await _managed_user(session, by, user_id)
    await _set_password(user, temporary, ["input", "temporaryPassword"], temporary=True)
    turn_off(user)
    await end_sessions(session, user.id)  # type: ignore[arg-type]
    session.add(user)
    await session.flush()
    return user


async def set_active(
    session: AsyncSession, by: Principal, user_id: int | None, active: bool
) -> User:
    """Disable an account (its sessions end, it cannot sign in) or enable it again."""
    user = await _managed_user(session, by, user_id)
    if user.id == by.user_id and not active:
        raise BusinessError(
            "CANNOT_DISABLE_YOURSELF", "You cannot disable your own account.", ["input", "userId"]
        )
    user.is_active = active
    if not active:
        await end_sessions(session, user.id)  # type: ignore[arg-type]
    session.add(user)
    await session.flush()
    return user


async def set_roles(
    session: AsyncSession, by: Principal, user_id: int | None, roles: Sequence[Role]
) -> User:
    """Replace a user's roles; they apply from the user's next request."""
    user = await _managed_user(session, by, user_id)
    roles = sorted(set(roles))
    if problem := roles_problem(roles, in_a_branch=user.branch_id is not None):
        raise BusinessError("INVALID_ROLES", problem, ["input", "roles"])
    if user.id == by.user_id and Role.ADMIN not in roles:
        raise BusinessError(
            "CANNOT_DEMOTE_YOURSELF",
            "You cannot take your own ADMIN role away.",
            ["input", "roles"],
        )
    await session.execute(delete(UserRole).where(UserRole.user_id == user.id))  # type: ignore[arg-type]
    session.add_all(UserRole(user_id=user.id, role=role) for role in roles)  # type: ignore[arg-type]
    await session.flush()
    return user


async def end_sessions(session: AsyncSession, user_id: int, keeping: str | None = None) -> None:
    """Revoke every live sign-in session of the user (but ``keeping``)."""
    statement = update(SignInSession).where(
        SignInSession.user_id == user_id,  # type: ignore[arg-type]
        SignInSession.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    if keeping:
        statement = statement.where(SignInSession.id != keeping)  # type: ignore[arg-type]
    await session.execute(statement.values(revoked_at=utcnow()))


async def _managed_user(session: AsyncSession, by: Principal, user_id: int | None) -> User:
    """The account, locked, if ``by`` manages it (head office every one, a
    branch administrator their branch's); otherwise it does not exist."""
    user = await locked_row(session, User, user_id)
    scope = visible_branch(by)
    if user is None or (scope is not None and user.branch_id != scope):
        raise BusinessError("NOT_FOUND", "There is no such user.", ["input", "userId"])
    return user


async def _set_password(user: User, password: str, field: list[str], *, temporary: bool) -> None:
    if problem := password_problem(password, user.username):
        raise BusinessError("WEAK_PASSWORD", problem, field)
    user.password_hash = await hash_password(password)
    user.must_change_password = temporary
    user.password_changed_at = utcnow()
