"""A real local SMTP server (aiosmtpd) and a real local webhook gateway (an
HTTP server in a thread) for the delivery tests, and settings that point the
worker at them."""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from plugins.marketing.delivery.gateways import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from plugins.marketing.settings import MarketingSettings

SECRET = "gateway-secret-for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """What the SMTP server accepted; ``refused`` addresses get a 550."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class Gateway:
    """A local SMS/app gateway as a real one behaves: it checks every call's
    signature and keeps each message once by its Idempotency-Key (a repeat is
    answered 200 and dropped). It can fail with a status, refuse addresses with
    400, or be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[dict[str, Any]] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.failing_with: int | None = None
        self.refused: set[str] = set()
        self.bad_signatures = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = gateway.receive(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(orjson.dumps(answer))

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def receive(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            message = orjson.loads(body)
            self.calls.append(message)
            expected = signature(SECRET, headers[TIMESTAMP_HEADER], body)
            if not hmac.compare_digest(expected, headers[SIGNATURE_HEADER]):
                self.bad_signatures += 1
                return 401, {"error": "bad signature"}
            if self.failing_with is not None:
                return self.failing_with, {"error": "unavailable"}
            if message["to"] in self.refused:
                return 400, {"error": "invalid number"}
            if headers["Idempotency-Key"] != message["id"]:
                return 400, {"error": "key mismatch"}
            self.delivered.setdefault(message["id"], message)
            return 200, {"id": f"gw-{message['id']}"}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    server.start()
    yield server
    server.stop()


def channels(
    smtp: SmtpServer | None = None, gateway: Gateway | None = None, **changes: Any
) -> MarketingSettings:
    """Settings sending e-mail through ``smtp`` and SMS and app pushes through ``gateway``."""
    given: dict[str, Any] = {"gateway_secret": SecretStr(SECRET)}
    if smtp is not None:
        given |= {"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    if gateway is not None:
        given |= {"sms_gateway_url": gateway.url, "app_gateway_url": gateway.url}
    return MarketingSettings(**(given | changes))
