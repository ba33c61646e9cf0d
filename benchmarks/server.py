"""``crm serve`` in a subprocess for the benchmarks that measure over HTTP.

On a free port of 127.0.0.1, rate limits lifted, ready once ``/healthz``
answers, with a number of worker processes and the server's log kept in a
file, so that what it said under load can be read afterwards (a pipe nobody
reads would fill up and stall it); and the generated staff's sign-in.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Served:
    """A running ``crm serve``: where it answers and where it writes its log."""

    base: str
    log: Path
    pid: int

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@asynccontextmanager
async def served(url: str, log: Path, *, workers: int = 1) -> AsyncIterator[Served]:
    """``crm serve --workers N`` on a free port, its output to ``log``; stopped on exit."""
    port = free_port()
    crm = Path(sys.executable).with_name("crm")
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(crm),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            env=server_environment(url),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    server = Served(f"http://127.0.0.1:{port}", log, process.pid)
    try:
        async with httpx.AsyncClient(base_url=server.base) as probe:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"crm serve stopped: {server.said()}")
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def sign_in(http: httpx.AsyncClient, username: str = bank.ADMIN) -> dict[str, str]:
    """The headers of a member of staff signed in with the generated password."""
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": bank.PASSWORD}}
    )
    login = response.json()["data"]["login"]
    if login["errors"]:
        raise RuntimeError(f"cannot sign in as {username}: {login['errors']}")
    return {"Authorization": f"Bearer {login['token']}"}
