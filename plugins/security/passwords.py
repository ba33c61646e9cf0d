"""Password hashing with argon2id, at OWASP's recommended parameters
(19 MiB of memory, 2 passes, 1 lane).

Hashing takes tens of milliseconds on purpose, so it runs in a worker thread
(argon2 releases the GIL) rather than stalling every other request. Each hash
records its own parameters, so raising them later keeps old hashes
verifiable; ``needs_rehash`` tells sign-in to upgrade a stored hash.
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# Verified when the username is unknown, so that answering takes as long either way.
_UNKNOWN_USER_HASH = _hasher.hash("no such user; this hash only spends time")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; checks a dummy hash when there is no user."""
    return await asyncio.to_thread(_verify, password_hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is not acceptable, or None: too short or too long,
    the username in it, or one of the passwords tried first by guessers."""
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password may have at most {MAX_LENGTH} characters."
    folded = password.casefold()
    if username and username.casefold() in folded:
        return "The password must not contain the username."
    if folded in common_passwords():
        return "This password is among the most common ones; choose another."
    return None


@cache
def common_passwords() -> frozenset[str]:
    """A short list of the passwords guessed first (``common_passwords.txt``)."""
    listed = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in listed.splitlines() if line.strip())
