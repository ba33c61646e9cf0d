"""Signing in and out, and turning a bearer token back into a principal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal
from core.columns import utcnow
from core.db import insert_for
from core.errors import BusinessError
from core.settings import Settings
from core.validation import has_control_characters
from plugins.security.models import USERNAME_MAX, SignInSession, SignInThrottle, User
from plugins.security.passwords import hash_password, needs_rehash, verify_password
from plugins.security.services import roles_of
from plugins.security.tokens import issue_token, read_token

WRONG_CREDENTIALS = "Wrong username or password."


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: User


async def sign_in(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> SignedIn:
    """Check the password and open a sign-in session.

    Refusals raise BusinessError but keep what they wrote (the failure count),
    so the caller must commit either way. ``settings.login_max_failures`` wrong
    passwords in a row lock the username for ``login_lock_minutes``, whether or
    not such a user exists, and the answer is the same in both cases.
    """
    now = utcnow()
    key = username.strip().lower()[:USERNAME_MAX]
    if has_control_characters(key):  # no user can have such a name
        raise BusinessError("INVALID_CREDENTIALS", WRONG_CREDENTIALS)
    throttle = await session.get(SignInThrottle, key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise BusinessError("SIGN_IN_LOCKED", "Too many failed sign-in attempts; try again later.")

    user = await session.scalar(select(User).where(User.username == key))
    valid = await verify_password(user.password_hash if user else None, password)
    if not (valid and user and user.is_active):
        await _count_failure(session, settings, key, now)
        raise BusinessError("INVALID_CREDENTIALS", WRONG_CREDENTIALS)

    if throttle:
        await session.delete(throttle)
    expires = now + timedelta(minutes=settings.token_ttl_minutes)
    sign_in_session = SignInSession(
        id=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        expires_at=expires,  # type: ignore[arg-type]
    )
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    session.add_all([sign_in_session, user])
    await session.flush()
    token = issue_token(settings.signing_key, user.id, sign_in_session.id, now, expires)  # type: ignore[arg-type]
    return SignedIn(token=token, user=user)


async def _count_failure(
    session: AsyncSession, settings: Settings, key: str, now: datetime
) -> None:
    """Count one more failure for ``key`` in one atomic upsert, so that guesses
    made at the same moment each count; lock the username at the limit."""
    counted = (
        insert_for(session, SignInThrottle)
        .values(username=key, failures=1)
        .on_conflict_do_update(
            index_elements=[SignInThrottle.username],
            set_={"failures": SignInThrottle.failures + 1},
        )
        .returning(SignInThrottle.failures)
    )
    if await session.scalar(counted) >= settings.login_max_failures:
        await session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.username == key)  # type: ignore[arg-type]
            .values(failures=0, locked_until=now + timedelta(minutes=settings.login_lock_minutes))
        )


async def principal_for_token(
    session: AsyncSession, settings: Settings, permissions: PermissionTable, token: str
) -> Principal | None:
    """The principal a token stands for, or None if it is invalid, expired,
    revoked, or its user is disabled."""
    claims = read_token(settings.signing_key, token)
    if claims is None:
        return None
    row = (
        await session.execute(
            select(User)
            .join(SignInSession, SignInSession.user_id == User.id)  # type: ignore[arg-type]
            .where(
                SignInSession.id == claims.session_id,
                SignInSession.user_id == claims.user_id,
                SignInSession.revoked_at.is_(None),  # type: ignore[union-attr]
                SignInSession.expires_at > utcnow(),
                User.is_active.is_(True),  # type: ignore[attr-defined]
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    roles = frozenset((await roles_of(session, [row.id]))[row.id])  # type: ignore[list-item]
    return Principal(
        user_id=row.id,  # type: ignore[arg-type]
        username=row.username,
        roles=roles,
        branch_id=row.branch_id,
        permissions=permissions.for_roles(roles),
        session_id=claims.session_id,
    )


async def sign_out(session: AsyncSession, session_id: str) -> None:
    """Revoke one sign-in session: its token stops working at once."""
    await session.execute(
        update(SignInSession)
        .where(SignInSession.id == session_id, SignInSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )
