"""The security plugin's tables: branches, staff, their roles and sign-in state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.authorization import Role
from core.columns import UTCDateTime, utcnow

CODE_MAX = 32
NAME_MAX = 100
USERNAME_MAX = 64


class Branch(SQLModel, table=True):
    """A branch (网点) of the bank; staff and customers belong to one."""

    __tablename__ = "security_branch"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=CODE_MAX, unique=True)
    name: str = Field(max_length=NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A member of staff who signs in. ``branch_id`` None means head office."""

    __tablename__ = "security_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX, unique=True)
    display_name: str = Field(max_length=NAME_MAX)
    password_hash: str = Field(max_length=255)
    branch_id: int | None = Field(default=None, foreign_key="security_branch.id", index=True)
    is_active: bool = True
    must_change_password: bool = Field(
        default=False, description="Set by a reset: nothing but a password change until done."
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_secret: str | None = Field(
        default=None, max_length=255, description="The second factor's secret, encrypted."
    )
    totp_pending_secret: str | None = Field(default=None, max_length=255)
    totp_last_step: int | None = Field(
        default=None, description="The time step of the last code accepted: none is used twice."
    )


class UserRole(SQLModel, table=True):
    """One role a user holds."""

    __tablename__ = "security_user_role"

    user_id: int = Field(foreign_key="security_user.id", primary_key=True)
    role: Role = Field(
        primary_key=True,
        sa_type=sa.Enum(Role, native_enum=False, length=32),  # type: ignore[call-overload]
    )


class SignInSession(SQLModel, table=True):
    """The server side of a bearer token: revoking it signs the token out at once."""

    __tablename__ = "security_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, description="The absolute timeout.")
    last_seen_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        description="For the idle timeout; kept to the minute, not written on every request.",
    )
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins in a row, by the username tried (whether or not it exists),
    so that a lock-out tells an attacker nothing about which usernames are real."""

    __tablename__ = "security_sign_in_throttle"

    username: str = Field(primary_key=True, max_length=USERNAME_MAX)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
