"""Errors the kernel and the plugins raise, each with a stable code.

Two families, as the API contract separates them:

- :class:`UserError`-producing business failures (``BusinessError``) come back
  inside a mutation payload's ``errors`` list; the request itself succeeded.
- Request failures (``RequestError``: not signed in, not allowed, too large a
  page) go to the GraphQL ``errors`` array with ``extensions.code``.

``ConfigurationError`` stops the process at start-up with one line that says
what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError


class ConfigurationError(Exception):
    """The process cannot start as configured; the message is shown as is."""


class BusinessError(Exception):
    """A rule refused a mutation; shown to the caller in the payload's ``errors``."""

    def __init__(self, code: str, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field is not None else None


class RequestError(GraphQLError):
    """A failure of the request itself, reported in the GraphQL ``errors`` array."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message, extensions={"code": code or self.code})


class NotAuthenticated(RequestError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Sign in first.") -> None:
        super().__init__(message)


class Forbidden(RequestError):
    code = "FORBIDDEN"

    def __init__(
        self, message: str = "You are not allowed to do this.", code: str | None = None
    ) -> None:
        super().__init__(message, code)
