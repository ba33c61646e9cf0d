"""Crash in the middle (``reliability/crash.py``), bounded: the server killed
three times under 16 clients' transfers, and the end-of-day batch killed once
half-way through its dates. Nothing a client saw committed is lost or doubled,
retries converge, every date is closed once, and the books balance."""

from __future__ import annotations

from pathlib import Path

import crash


async def test_crashes_lose_nothing_and_double_nothing(target: str, tmp_path: Path) -> None:
    figures = await crash.run(
        target,
        clients=16,
        kills=3,
        between=(1.0, 2.0),
        down=0.3,
        settle=1.0,
        eod_days=20,
        eod_kills=1,
        replays=100,
        logs=tmp_path,
    )

    workload = figures["bank workload under crashes"]
    end_of_day = figures["end of day under crashes"]
    assert workload["kills"] == 3
    assert workload["answers by kind"].get(crash.COMMITTED, 0) > 0
    assert workload["transfers retried"] > 0, "no kill caught a transfer on its way"
    assert end_of_day["kills that landed"] == 1
    assert end_of_day["dates closed"] == 20
    found = {name: count for name, count in figures["anomalies"].items() if count}
    assert not found, found
    broken = {name: check for name, check in figures["invariants"].items() if not check["kept"]}
    assert not broken, broken
    checks = end_of_day["checks against the uninterrupted run"]
    assert all(check["kept"] for check in checks.values()), {
        name: check for name, check in checks.items() if not check["kept"]
    }
