"""Start-up: from ``crm serve`` starting to its first answered query, every plugin enabled.

    .venv/bin/python benchmarks/startup.py [--customers 1000] [--db PATH_OR_URL [--reuse]]
        [--starts 5]

Builds a bank with ``benchmarks/bank.py`` (or reuses one), signs the
head-office ``admin`` in once (in-process) for a token, then starts
``crm serve`` on a free port several times and times, from just before the
process is started, until ``{ me { username } }`` with that token is answered
over HTTP (polled every 10 ms). It prints each start with the median and writes
``benchmarks/results/startup-<database>.json``. The floor is a bare Python process that
imports nothing of the project and answers HTTP (``python -m http.server``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bank
import httpx
from figures import RESULTS, write_figures
from server import SECRET, UNLIMITED, free_port, server_environment, sign_in
from sqlalchemy.engine import make_url

from core.app import create_app
from core.runtime import Runtime
from core.settings import load_settings

"""``startup-<database>.json`` goes here."""
ME = {"query": "{ me { username } }"}
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 120


async def token_for(url: str) -> dict[str, str]:
    runtime = Runtime.create(load_settings(database_url=url, secret_key=SECRET, **UNLIMITED))
    try:
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.bench") as http:
            return await sign_in(http)
    finally:
        await runtime.close()


async def first_answer(command: list[str], env: dict[str, str], port: int, ask: Any) -> float:
    """Seconds from starting ``command`` to ``ask``'s first answer."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while time.perf_counter() - started < GIVE_UP_SECONDS:
                if process.returncode is not None:
                    raise RuntimeError(f"{command[0]} stopped with {process.returncode}")
                try:
                    if await ask(http):
                        return round(time.perf_counter() - started, 3)
                except httpx.TransportError:
                    pass
                await asyncio.sleep(POLL_SECONDS)
        raise RuntimeError(f"no answer within {GIVE_UP_SECONDS} s")
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--db", help="SQLite file or PostgreSQL URL (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="use the bank already at --db")
    parser.add_argument("--starts", type=int, default=5)
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        target = options.db or str(Path(folder) / "bank.db")
        url, _ = await bank.prepare(
            target, options.customers, reuse=options.reuse and bool(options.db)
        )
        headers = await token_for(url)
        env = server_environment(url)
        env.pop("CRM_PLUGINS", None)  # every installed plugin
        crm = str(Path(sys.executable).with_name("crm"))

        async def me(http: httpx.AsyncClient) -> bool:
            response = await http.post("/graphql", json=ME, headers=headers)
            body = response.json()
            return response.status_code == 200 and body.get("data", {}).get("me") is not None

        async def listening(http: httpx.AsyncClient) -> bool:
            return (await http.get("/")).status_code < 500

        starts, floors = [], []
        for number in range(1, options.starts + 1):
            port = free_port()
            start = await first_answer(
                [crm, "serve", "--host", "127.0.0.1", "--port", str(port)], env, port, me
            )
            port = free_port()
            floor = await first_answer(
                [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                dict(os.environ),
                port,
                listening,
            )
            starts.append(start)
            floors.append(floor)
            print(
                f"start {number}: first `me` answered after {start:.2f} s"
                f" (bare Python answering HTTP: {floor:.2f} s)"
            )
    median, floor_median = statistics.median(starts), statistics.median(floors)
    print(f"{'':<12}{'median s':>10}{'min':>8}{'max':>8}")
    print(f"{'crm serve':<12}{median:>10.2f}{min(starts):>8.2f}{max(starts):>8.2f}")
    print(f"{'floor':<12}{floor_median:>10.2f}{min(floors):>8.2f}{max(floors):>8.2f}")
    print(f"ratio {median / floor_median:.1f}× the floor")
    backend = make_url(url).get_backend_name()
    write_figures(
        RESULTS / f"startup-{backend}.json",
        {
            "database": backend,
            "starts": starts,
            "median_s": round(median, 3),
            "floor_starts": floors,
            "floor_median_s": round(floor_median, 3),
            "ratio": round(median / floor_median, 1),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
