"""Bearer tokens: JWTs signed with HS256 under ``CRM_SECRET_KEY``.

The token names a server-side sign-in session (``sid``); the token alone is
never enough, so revoking the session or disabling the user signs it out.
Only HS256 is accepted: a token with ``alg: none`` or any other algorithm is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt

ALGORITHM = "HS256"
ISSUER = "bank-crm"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str


def issue_token(
    key: str, user_id: int, session_id: str, issued: datetime, expires: datetime
) -> str:
    claims = {"sub": str(user_id), "sid": session_id, "iat": issued, "exp": expires, "iss": ISSUER}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_token(key: str, token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token signed with ``key``; None otherwise."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "sid", "exp", "iat", "iss"]},
        )
        return TokenClaims(user_id=int(claims["sub"]), session_id=str(claims["sid"]))
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
