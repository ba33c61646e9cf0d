"""The Starlette application: ``/graphql``, ``/healthz`` and ``/readyz``."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException  # what strawberry's views turn into 4xx responses
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from core import migrations
from core.context import Context
from core.logging import configure_logging
from core.runtime import Runtime
from core.settings import load_settings

log = logging.getLogger("crm.http")
REQUEST_ID_HEADER = "x-request-id"


class GraphQLEndpoint(GraphQL):
    """Strawberry's ASGI view with the CRM's context and a fast JSON encoder.

    Queries may come by GET; mutations only by POST (strawberry refuses them
    over GET). GraphiQL is served at ``GET /graphql`` outside production.
    """

    def __init__(self, runtime: Runtime, schema: Any) -> None:
        production = runtime.settings.is_production
        super().__init__(
            schema, graphql_ide=None if production else "graphiql", allow_queries_via_get=True
        )
        self.runtime = runtime

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        return Context(
            runtime=self.runtime,
            request=request,
            request_id=request.scope.get("crm.request_id", ""),
            token=bearer_token(request),
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Parse a request body, refusing with 400 anything but a JSON object or list."""
        try:
            parsed = orjson.loads(data)  # also refuses bytes that are not UTF-8
        except orjson.JSONDecodeError:
            raise HTTPException(400, "Unable to parse the request body as JSON.") from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class RequestLog:
    """Give every request an id (kept from ``X-Request-ID`` if sent) and log it once.

    It is also the last resort for a crash: the exception is logged with the
    request id and the client gets a bare 500 that carries the id too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        sent = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = sent if 0 < len(sent) <= 64 and sent.isprintable() else secrets.token_hex(8)
        scope["crm.request_id"] = request_id
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.encode(), request_id.encode())
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request failed", extra={"request_id": request_id})
            if responded:
                raise
            crashed = JSONResponse({"errors": [{"message": "Internal server error."}]}, 500)
            await crashed(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def create_app(runtime: Runtime) -> Starlette:
    from schema.build import build_schema  # the composition root: core serves the schema

    schema = build_schema(runtime)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(_: Request) -> JSONResponse:
        try:
            await runtime.database.ping()
            behind = await migrations.pending(runtime.database, runtime.plugins)
        except (OSError, SQLAlchemyError):
            return JSONResponse({"status": "unavailable", "reason": "database"}, status_code=503)
        if behind:
            return JSONResponse(
                {"status": "unavailable", "reason": "migrations pending", "pending": behind},
                status_code=503,
            )
        return JSONResponse({"status": "ready"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await runtime.close()

    app = Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(runtime, schema), methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestLog)  # type: ignore[arg-type]
    app.state.runtime = runtime
    app.state.schema = schema
    return app


def app_from_environment() -> Starlette:
    """The factory uvicorn workers call: settings from ``CRM_*`` variables."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(Runtime.create(settings))
