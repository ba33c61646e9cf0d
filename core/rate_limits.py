"""Request rate limits: token buckets per client address and per signed-in user.

Each budget holds ``capacity`` tokens and refills at ``capacity`` per window,
so a caller may burst up to the budget, then goes at the window's pace. Two
budgets, each kept per address and per user: every API request, and every
sign-in attempt (each aliased ``login`` in a request counts).

The buckets live in the worker process: with ``crm serve --workers N`` each
of the N processes limits on its own, so a caller may get up to N times the
budget. Put a shared limit in the gateway in front if that matters; the
per-username lock-out on failed passwords (``CRM_LOGIN_MAX_FAILURES``) is kept
in the database and holds across processes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.errors import RequestError
from core.settings import Settings

Clock = Callable[[], float]

SIGN_IN_ATTEMPT = {"crm.sign_in_attempt": True}
"""Field metadata of a root mutation that checks a password, so that each use
spends the caller's sign-in budget: ``@mutation(..., metadata=SIGN_IN_ATTEMPT)``."""


def is_sign_in_attempt(metadata: object) -> bool:
    return isinstance(metadata, Mapping) and bool(metadata.get("crm.sign_in_attempt"))


class RateLimited(RequestError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key (an address, a user), created full on first use.

    A full bucket is no different from none, so buckets that have refilled are
    dropped whenever more than ``max_keys`` are held: memory follows the
    callers of the last window, not every caller ever seen.
    """

    def __init__(
        self, capacity: int, window_seconds: float, clock: Clock, max_keys: int = 100_000
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, tokens: int = 1) -> int:
        """Spend ``tokens`` from ``key``'s bucket: 0 if they were there, else
        the seconds to wait until they will be (nothing is spent then)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if tokens > self.capacity:
            return math.ceil(self.capacity / self.rate)
        if bucket.tokens >= tokens:
            bucket.tokens -= tokens
            return 0
        return max(1, math.ceil((tokens - bucket.tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        refill = self.capacity / self.rate
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket.updated < refill
        }

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimits:
    """The process's budgets, from ``CRM_RATE_LIMIT_WINDOW_SECONDS``,
    ``CRM_REQUESTS_PER_ADDRESS``, ``CRM_REQUESTS_PER_USER`` and
    ``CRM_SIGN_INS_PER_ADDRESS``."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        window = settings.rate_limit_window_seconds
        self.requests_by_address = TokenBuckets(settings.requests_per_address, window, clock)
        self.requests_by_user = TokenBuckets(settings.requests_per_user, window, clock)
        self.sign_ins_by_address = TokenBuckets(settings.sign_ins_per_address, window, clock)

    def request(self, address: str) -> None:
        """Count one API request from ``address``; raises RateLimited over budget."""
        _refuse_if_waiting(self.requests_by_address.take(address))

    def operation(self, address: str, user_id: int | None, sign_in_attempts: int) -> None:
        """Count an operation of a signed-in user and its sign-in attempts."""
        if user_id is not None:
            _refuse_if_waiting(self.requests_by_user.take(str(user_id)))
        if sign_in_attempts:
            _refuse_if_waiting(self.sign_ins_by_address.take(address, sign_in_attempts))


def _refuse_if_waiting(wait: int) -> None:
    if wait:
        raise RateLimited(wait)
