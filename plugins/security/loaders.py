"""Batch loads for the security plugin's types: one statement per batch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.authorization import Role
from core.context import Context
from core.loaders import one_per_key
from plugins.security.models import Branch, User
from plugins.security.services import roles_of


async def branches_by_id(context: Context, ids: Sequence[int]) -> list[Branch | None]:
    rows = await context.session.scalars(select(Branch).where(Branch.id.in_(ids)))  # type: ignore[union-attr]
    return one_per_key(ids, rows, lambda branch: branch.id)  # type: ignore[arg-type, return-value]


async def users_by_id(context: Context, ids: Sequence[int]) -> list[User | None]:
    rows = await context.session.scalars(select(User).where(User.id.in_(ids)))  # type: ignore[union-attr]
    return one_per_key(ids, rows, lambda user: user.id)  # type: ignore[arg-type, return-value]


async def roles_by_user_id(context: Context, ids: Sequence[int]) -> list[list[Role]]:
    found = await roles_of(context.session, ids)
    return [found[user_id] for user_id in ids]
