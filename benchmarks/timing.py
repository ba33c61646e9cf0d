"""Timing for the benchmark scripts: repeated calls, and their median and 95th percentile."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


async def timed(
    call: Callable[[], Awaitable[Any]], repeat: int, warm_up: int = 0
) -> tuple[list[float], Any]:
    """``repeat`` timings of ``call`` in milliseconds (after ``warm_up`` untimed
    calls, to warm caches and compiled statements), and its last result."""
    result = None
    for _ in range(warm_up):
        result = await call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


async def timed_in_turn(
    calls: Sequence[Callable[[], Awaitable[Any]]], repeat: int, warm_up: int = 0
) -> list[tuple[list[float], Any]]:
    """:func:`timed` for several calls at once, taken in turn (the first, the
    second, ..., then the first again), so that a project and its floor see the
    same moments of a busy machine and their ratio holds however busy it is."""
    results: list[Any] = [None] * len(calls)
    for _ in range(warm_up):
        results = [await call() for call in calls]
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for index, call in enumerate(calls):
            started = time.perf_counter()
            results[index] = await call()
            times[index].append((time.perf_counter() - started) * 1000)
    return list(zip(times, results, strict=True))


def summary(times: list[float], places: int) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), places),
        "p95_ms": round(p95, places),
    }
