"""Where the processor time of a load goes: per process, from ``/proc`` (Linux).

A :class:`CpuMeter` samples, while a load runs, the CPU seconds of the
processes that serve it (``crm serve`` and its workers, by parent) and of the
PostgreSQL backends connected to one database (by ``pg_stat_activity``); a
process first seen after the start is counted from zero (a backend is forked
with none), so connections opened during the load count whole. It also
counts what those backends were doing at each sample (waiting for a lock, and
on which statement; working; waiting for the application inside a
transaction), as the average number of backends so occupied.
"""

from __future__ import annotations

import asyncio
import os
import resource
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TICKS = os.sysconf("SC_CLK_TCK")
BACKENDS = text(
    "SELECT pid, state, wait_event_type, wait_event, left(query, 40) FROM pg_stat_activity"
    " WHERE datname = :name AND pid != pg_backend_pid()"
)


def cpu_seconds(pid: int) -> float | None:
    """User and system time of process ``pid`` so far; None once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def resident_bytes(pid: int | str = "self") -> int:
    """The resident set of process ``pid`` (this one by default), from ``/proc``."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def own_cpu_seconds() -> float:
    """This process's CPU time, and its reaped children's (pgbench once it has ended)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Group:
    """CPU seconds of a changing set of processes: first and last value seen per pid."""

    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)

    def see(self, pids: Iterable[int], *, starting: bool) -> None:
        for pid in pids:
            seconds = cpu_seconds(pid)
            if seconds is None:
                continue
            self.first.setdefault(pid, seconds if starting else 0.0)
            self.last[pid] = seconds

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


class CpuMeter:
    """CPU seconds of a server's processes, a database's backends and this process
    (with its reaped children), from :meth:`start` to :meth:`stop`."""

    def __init__(
        self,
        engine: AsyncEngine | None,
        database: str | None,
        server_pid: int | None,
        every: float = 0.25,
    ) -> None:
        self.engine, self.database, self.server_pid, self.every = (
            engine,
            database,
            server_pid,
            every,
        )
        self.server, self.backends = Group(), Group()
        self.doing: Counter[str] = Counter()
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def _sample(self, *, starting: bool = False) -> None:
        if self.server_pid is not None:
            self.server.see(descendants(self.server_pid), starting=starting)
        if self.engine is None or self.database is None:
            return
        async with self.engine.connect() as connection:
            rows = (await connection.execute(BACKENDS, {"name": self.database})).all()
        self.backends.see([row[0] for row in rows], starting=starting)
        self.samples += 1
        for _, state, wait_type, wait, query in rows:
            if state == "active" and wait_type == "Lock":
                self.doing[f"waiting for a {wait} lock: {query}"] += 1
            elif state in ("active", "idle in transaction"):
                self.doing[state if wait_type in (None, "Client") else f"{state} ({wait})"] += 1

    async def _keep_sampling(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self._sample()

    async def start(self) -> None:
        await self._sample(starting=True)
        self._own = own_cpu_seconds()
        self._task = asyncio.create_task(self._keep_sampling())

    async def stop(self) -> dict[str, float]:
        """CPU seconds spent by the server, the database and the clients (this process)."""
        own = own_cpu_seconds() - self._own
        if self._task is not None:
            self._task.cancel()
        await self._sample()
        return {
            "server": round(self.server.seconds, 2),
            "database": round(self.backends.seconds, 2),
            "clients": round(own, 2),
        }

    def backends_doing(self) -> dict[str, float]:
        """The average number of backends doing each thing, most first."""
        return {
            what: round(count / self.samples, 2)
            for what, count in self.doing.most_common()
            if count / self.samples >= 0.01
        }
