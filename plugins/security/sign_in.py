"""Signing in and out, and turning a bearer token back into a principal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal, Role
from core.columns import utcnow
from core.db import Database, Mode, insert_for
from core.errors import BusinessError
from core.settings import Settings
from core.validation import has_control_characters
from plugins.security.models import USERNAME_MAX, SignInSession, SignInThrottle, User, UserRole
from plugins.security.passwords import hash_password, needs_rehash, verify_password
from plugins.security.second_factor import check_sign_in_code
from plugins.security.tokens import issue_token, read_token

WRONG_CREDENTIALS = "Wrong username or password."
KEEP_ALIVE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: User


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    username: str,
    password: str,
    totp_code: str | None = None,
) -> SignedIn:
    """Check the password (and, for a user who turned it on, the second
    factor's code) and open a sign-in session.

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
    try:
        check_sign_in_code(settings, user, totp_code, now.timestamp())
    except BusinessError as refusal:
        if refusal.code == "INVALID_TOTP_CODE":
            await _count_failure(session, settings, key, now)
        raise

    if throttle:
        await session.delete(throttle)
    expires = now + timedelta(minutes=settings.token_ttl_minutes)
    sign_in_session = SignInSession(
        id=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
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


_USERS = User.__table__  # type: ignore[attr-defined]
_SESSIONS = SignInSession.__table__  # type: ignore[attr-defined]
_ROLES = UserRole.__table__  # type: ignore[attr-defined]
_SIGNED_IN = (
    select(
        _USERS.c.id,
        _USERS.c.username,
        _USERS.c.branch_id,
        _USERS.c.must_change_password,
        _SESSIONS.c.last_seen_at,
        _ROLES.c.role,
    )
    .join(_SESSIONS, _SESSIONS.c.user_id == _USERS.c.id)
    .outerjoin(_ROLES, _ROLES.c.user_id == _USERS.c.id)
    .where(
        _SESSIONS.c.id == bindparam("session_id"),
        _SESSIONS.c.user_id == bindparam("user_id"),
        _SESSIONS.c.revoked_at.is_(None),
        _SESSIONS.c.expires_at > bindparam("now"),
        _SESSIONS.c.last_seen_at > bindparam("idle_since"),
        _USERS.c.is_active.is_(True),
    )
)
"""A token's user and its session, a row per role. Every request runs it, so
it is built once, on the tables (see ``core.db`` on hot statements)."""


async def principal_for_token(
    session: AsyncSession,
    settings: Settings,
    permissions: PermissionTable,
    token: str,
    seen_again: Callable[[str], None] | None = None,
) -> Principal | None:
    """The principal a token stands for, or None if it is invalid, expired
    (``token_ttl_minutes`` after sign-in), idle (unused for
    ``session_idle_minutes``), revoked, or its user is disabled.
    ``seen_again`` is told the id of a sign-in session last seen over a minute
    ago, to :func:`keep_alive` it."""
    claims = read_token(settings.signing_key, token)
    if claims is None:
        return None
    now = utcnow()
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    rows = (
        await session.execute(
            _SIGNED_IN,
            {
                "session_id": claims.session_id,
                "user_id": claims.user_id,
                "now": now,
                "idle_since": idle_since,
            },
        )
    ).all()
    if not rows:
        return None
    row = rows[0]
    if seen_again is not None and row.last_seen_at < now - KEEP_ALIVE_EVERY:
        seen_again(claims.session_id)
    roles = frozenset(Role(found.role) for found in rows if found.role is not None)
    return Principal(
        user_id=row.id,  # type: ignore[arg-type]
        username=row.username,
        roles=roles,
        branch_id=row.branch_id,
        permissions=permissions.for_roles(roles),
        session_id=claims.session_id,
        must_change_password=row.must_change_password,
    )


async def keep_alive(database: Database, session_id: str) -> None:
    """Note that a session is in use, for its idle timeout: at most once a
    minute, in a transaction of its own (after the request: ``Context.after_request``)."""
    now = utcnow()
    async with database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(SignInSession)
            .where(
                SignInSession.id == session_id,  # type: ignore[arg-type]
                SignInSession.last_seen_at < now - KEEP_ALIVE_EVERY,
            )
            .values(last_seen_at=now)
        )


async def sign_out(session: AsyncSession, session_id: str) -> None:
    """Revoke one sign-in session: its token stops working at once."""
    await session.execute(
        update(SignInSession)
        .where(SignInSession.id == session_id, SignInSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )
