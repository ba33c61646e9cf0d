"""The demo's staff, as the principals the marketing seeders act as: the
marketing team plans events, relationship managers work leads and referrals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal, Role
from plugins.security.models import User, UserRole
from plugins.security.services import roles_of


async def demo_staff(
    session: AsyncSession, permissions: PermissionTable, role: Role
) -> list[Principal]:
    """Every active member of staff holding ``role``, in the order the security
    plugin's demo created them (branch by branch)."""
    users = list(
        await session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
            .where(UserRole.role == role, User.is_active.is_(True))  # type: ignore[attr-defined]
            .order_by(User.id)
        )
    )
    roles = await roles_of(session, [user.id for user in users])  # type: ignore[misc]
    return [
        Principal(
            user_id=user.id,  # type: ignore[arg-type]
            username=user.username,
            roles=frozenset(roles[user.id]),  # type: ignore[index]
            branch_id=user.branch_id,
            permissions=permissions.for_roles(roles[user.id]),  # type: ignore[index]
        )
        for user in users
    ]
