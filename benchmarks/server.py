"""``crm serve`` in a subprocess, for the benchmarks and the reliability
scenarios that measure over HTTP.

On a free port of 127.0.0.1, rate limits lifted, ready once ``/healthz``
answers, with a number of worker processes and the server's log kept in a
file, so that what it said under load can be read afterwards (a pipe nobody
reads would fill up and stall it); and the generated staff's sign-in.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bank
import httpx

SECRET = "benchmark-secret-key-that-is-long-enough-for-hs256"  # noqa: S105
UNLIMITED = {
    "requests_per_address": 10**9,
    "requests_per_user": 10**9,
    "sign_ins_per_address": 10**9,
}
"""A benchmark asks thousands of times from one address as few users."""
LOGIN = """
mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { token errors { code } }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "CRM_SECRET_KEY": SECRET,
        "CRM_LOG_LEVEL": "WARNING",
        **{f"CRM_{name.upper()}": str(value) for name, value in UNLIMITED.items()},
    }


@dataclass
class Server:
    """``crm serve --workers N`` on a free port of 127.0.0.1, as its own process
    group: stopped as an operator would (``stop``), or killed with every worker
    at once as a crash would (``kill``), and started again on the same port and
    database. Its output, across restarts, goes to ``log``."""

    url: str
    log: Path
    workers: int = 1
    environment: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def start(self) -> None:
        """Start it, and return once ``/healthz`` answers."""
        crm = Path(sys.executable).with_name("crm")
        with self.log.open("ab") as output:
            self.process = process = await asyncio.create_subprocess_exec(
                str(crm),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                env={**server_environment(self.url), **self.environment},
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # a group of its own: kill() reaches every worker
            )
        async with httpx.AsyncClient(base_url=self.base) as probe:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"crm serve stopped: {self.said()}")
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Shut it down gracefully (SIGTERM), as ``systemctl stop`` would."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def kill(self) -> None:
        """SIGKILL the whole process group: no request finishes, nothing is flushed."""
        if self.process is not None and self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


@asynccontextmanager
async def served(
    url: str, log: Path, *, workers: int = 1, environment: dict[str, str] | None = None
) -> AsyncIterator[Server]:
    """A started :class:`Server`, stopped on exit."""
    server = Server(url, log, workers, environment or {})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def sign_in(http: httpx.AsyncClient, username: str = bank.ADMIN) -> dict[str, str]:
    """The headers of a member of staff signed in with the generated password."""
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": bank.PASSWORD}}
    )
    login = response.json()["data"]["login"]
    if login["errors"]:
        raise RuntimeError(f"cannot sign in as {username}: {login['errors']}")
    return {"Authorization": f"Bearer {login['token']}"}
