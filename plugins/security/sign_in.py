"""Signing in and out, and turning a bearer token back into a principal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.settings import Settings
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
    throttle = await session.get(SignInThrottle, key, with_for_update=True)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise BusinessError(
            "SIGN_IN_LOCKED",
            "Too many failed sign-in attempts; try again later.",
        )

    user = await session.scalar(select(User).where(User.username == key))
    valid = verify_password(user.password_hash if user else None, password)
    if not (valid and user and user.is_active):
        throttle = throttle or SignInThrottle(username=key)
        throttle.failures += 1
        if throttle.failures >= settings.login_max_failures:
            throttle.failures = 0
            throttle.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
        session.add(throttle)
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
        user.password_hash = hash_password(password)
    session.add_all([sign_in_session, user])
    await session.flush()
    token = issue_token(settings.signing_key, user.id, sign_in_session.id, now, expires)  # type: ignore[arg-type]
    return SignedIn(token=token, user=user)


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
