"""The Starlette application: ``/graphql``, ``/healthz`` and ``/readyz``."""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException  # what strawberry's views turn into 4xx responses
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from core import migrations, nul_character
from core.context import Context
from core.database_errors import database_failure
from core.http_errors import refusal
from core.logging import configure_logging
from core.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from core.metrics import Metrics
from core.request_limits import RequestRateLimit, RequestSizeLimit
from core.runtime import Runtime
from core.security_headers import SecurityHeaders
from core.settings import load_settings

log = logging.getLogger("crm.http")
REQUEST_ID_HEADER = "x-request-id"
READINESS_TIMEOUT_SECONDS = 2.0
"""How long ``/readyz`` waits for the database before it answers 503."""


class GraphQLEndpoint(GraphQL):
    """Strawberry's ASGI view with the CRM's context and a fast JSON encoder.

    Queries may come by GET; mutations only by POST (405 over GET, so that a
    link or a prefetch never changes anything). GraphiQL is served at
    ``GET /graphql`` outside production.
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
            response=response,
            request_id=request.scope.get("crm.request_id", ""),
            token=bearer_token(request),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's view, but its 4xx refusals answered GraphQL-shaped with a code."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            response = refused(error, scope["method"])
        await response(scope, receive, send)

    async def process_result(self, request: Any, result: Any) -> Any:  # type: ignore[override]
        for error in result.errors or ():
            extensions = error.extensions or {}
            if "code" not in extensions:
                error.extensions = {**extensions, "code": graphql_refusal_code(error)}
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Parse a request body, refusing with 400 anything but a JSON object."""
        try:
            parsed = orjson.loads(data)  # also refuses bytes that are not UTF-8
        except orjson.JSONDecodeError:
            raise HTTPException(400, "Unable to parse the request body as JSON.") from None
        if isinstance(parsed, list):
            raise Refusal(400, "BATCH_NOT_SUPPORTED", "Send one operation per request.")
        if not isinstance(parsed, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        escaped_nul = b"\\u0000" if isinstance(data, bytes) else "\\u0000"
        if escaped_nul in data and nul_character.holds_nul(parsed):  # JSON escapes every NUL
            raise Refusal(400, nul_character.CODE, nul_character.MESSAGE)
        return parsed


def graphql_refusal_code(error: GraphQLError) -> str:
    """The code of an error GraphQL itself raised, which carries none (the
    codes front ends know from Apollo): a document that does not parse, or one
    the schema refuses (an unknown field, an argument or variable of the
    wrong type). Every other error has its code where it is raised."""
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


class Refusal(HTTPException):
    """A 4xx refusal of the endpoint with its stable code."""

    def __init__(self, status_code: int, code: str, reason: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


REFUSAL_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def refused(error: HTTPException, method: str) -> Response:
    """The answer to a refused request; a mutation sent by GET is 405 (``Allow: POST``)."""
    cause = error.__cause__
    if (
        method == "GET"
        and isinstance(cause, InvalidOperationTypeError)
        and cause.operation_type is OperationType.MUTATION
    ):
        message = "Mutations must be sent by POST."
        return refusal(405, "METHOD_NOT_ALLOWED", message, {"Allow": "POST"})
    code = getattr(error, "code", None) or REFUSAL_CODES.get(error.status_code, "BAD_REQUEST")
    return refusal(error.status_code, code, error.reason)


async def starlette_refusal(_: Request, error: Exception) -> Response:
    """Starlette's own refusals (a path nobody serves, a method ``/graphql`` does
    not take) in the shape of every other refusal, not as plain text."""
    assert isinstance(error, StarletteHTTPException)
    code = REFUSAL_CODES.get(error.status_code, "BAD_REQUEST")
    return refusal(error.status_code, code, error.detail, error.headers)


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

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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
            seconds = time.perf_counter() - started
            self.metrics.observe_request(scope["path"], status, seconds)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )


class Readiness:
    """``/readyz``: 200 when the database answers and its migrations are applied;
    503 otherwise, within :data:`READINESS_TIMEOUT_SECONDS` whatever the database does.

    A check still running when the time is up is not cancelled (cancelling a
    driver call half-way is not safe on every driver: aiosqlite's thread would
    go on waiting for the lock anyway) but left to finish, and the probes that
    come meanwhile wait on that same check: a database that does not answer
    makes the probe say so, and never piles up connections.
    """

    def __init__(self, runtime: Runtime, timeout: float = READINESS_TIMEOUT_SECONDS) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self._running: asyncio.Task[list[str]] | None = None

    async def _check(self) -> list[str]:
        """The branches whose migrations are pending; raises if the database fails."""
        await self.runtime.database.ping()
        return await migrations.pending(self.runtime.database, self.runtime.plugins)

    def _finished(self, task: asyncio.Task[list[str]]) -> None:
        self._running = None
        if not task.cancelled():
            task.exception()  # seen: a check whose probe gave up is not "never retrieved"

    async def probe(self, _: Request) -> JSONResponse:
        task = self._running
        if task is None:
            task = self._running = asyncio.create_task(self._check())
            task.add_done_callback(self._finished)
        done, _pending = await asyncio.wait({task}, timeout=self.timeout)
        unavailable = JSONResponse({"status": "unavailable", "reason": "database"}, 503)
        if not done:
            return unavailable
        try:
            behind = task.result()
        except Exception as error:
            if database_failure(error) is None:
                log.exception("the readiness check failed")
            return unavailable
        if behind:
            return JSONResponse(
                {"status": "unavailable", "reason": "migrations pending", "pending": behind},
                status_code=503,
            )
        return JSONResponse({"status": "ready"})


def create_app(runtime: Runtime) -> Starlette:
    from schema.build import build_schema  # the composition root: core serves the schema

    schema = build_schema(runtime)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def metrics(request: Request) -> Response:
        """For operators' scrapers; with ``CRM_METRICS_TOKEN`` set, only for
        those who send it as a bearer token."""
        token = runtime.settings.metrics_token
        if token is not None:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(
                sent.encode(), f"Bearer {token.get_secret_value()}".encode()
            ):
                return JSONResponse({"errors": [{"message": "Not allowed."}]}, status_code=403)
        return Response(runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await runtime.close()

    settings = runtime.settings
    graphql = Route(
        "/graphql",
        GraphQLEndpoint(runtime, schema),
        methods=["GET", "POST"],
        middleware=[
            Middleware(RequestRateLimit, runtime=runtime),
            Middleware(RequestSizeLimit, max_bytes=settings.max_body_bytes),
        ],
    )
    app = Starlette(
        routes=[
            graphql,
            Route("/healthz", healthz),
            Route("/readyz", Readiness(runtime).probe),
            Route("/metrics", metrics),
        ],
        middleware=[
            Middleware(SecurityHeaders, settings=settings),  # outermost: crashes get them too
            Middleware(RequestLog, metrics=runtime.metrics),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
                expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
                max_age=600,
            ),
        ],
        exception_handlers={StarletteHTTPException: starlette_refusal},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.schema = schema
    return app


def app_from_environment() -> Starlette:
    """The factory uvicorn workers call: settings from ``CRM_*`` variables."""
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(Runtime.create(settings))
    settle_garbage_collector()
    return app


GC_THRESHOLDS = (50_000, 10, 100)
"""Collect the youngest objects every 50,000 allocations rather than 700, and
everything every 100th older collection rather than every 10th. A request
frees what it made as it goes (its one cycle, the loaders, is cut when it
ends: ``schema.extensions.UnitOfWork``); collecting in the middle of a large
answer only walks the answer, and moves it to an older generation, to be
walked again. A page of 100 customers spent about a third of its time there
(``docs/performance.md``)."""


def settle_garbage_collector() -> None:
    """Tune the cyclic garbage collector for serving, once the app is built.

    What is loaded by then (modules, the schema, the models: some 200,000
    objects) lives as long as the process: frozen, no collection walks it again.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
