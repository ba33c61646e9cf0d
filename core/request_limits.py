"""Guards in front of ``/graphql``: the request rate per address and the body size.

Both refuse before the request is parsed, let alone run, so a flood costs
the server little and changes nothing.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.client_address import rate_limit_key
from core.http_errors import refusal
from core.rate_limits import RateLimited
from core.runtime import Runtime


class RequestRateLimit:
    """Refuse with 429 RATE_LIMITED and ``Retry-After`` a client address over
    its budget of API requests (``CRM_REQUESTS_PER_ADDRESS`` per window)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            address = rate_limit_key(scope, self.runtime.settings.trusted_proxies)
            try:
                self.runtime.rate_limits.request(address)
            except RateLimited as refused:
                await too_many_requests(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_many_requests(refused: RateLimited) -> ASGIApp:
    headers = {"Retry-After": str(refused.retry_after)}
    return refusal(429, refused.code, refused.message, headers)


class _BodyTooLarge(Exception):
    pass


class RequestSizeLimit:
    """Refuse a body over ``max_bytes`` with 413 REQUEST_TOO_LARGE.

    A declared ``Content-Length`` over the limit is refused before a byte is
    read; any other body is counted as it streams in and refused the moment
    it passes the limit, so an oversized body is never held whole in memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        received = 0
        responded = False

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def send_noted(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_counted, send_noted)
        except _BodyTooLarge:
            if responded:
                raise
            await self._too_large()(scope, receive, send)

    def _too_large(self) -> ASGIApp:
        return refusal(
            413, "REQUEST_TOO_LARGE", f"The request body is larger than {self.max_bytes} bytes."
        )
