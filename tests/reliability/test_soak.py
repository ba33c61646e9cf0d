"""The soak in its bounded form: about 25 seconds of the mixed workload.

The long form's bounds assume windows of half a minute; these are a few
seconds each on a shared machine, so latency and CPU per operation may wander
further between them before it counts as drift, and memory has had less time
to grow.
"""

from __future__ import annotations

import soak


async def test_the_mixed_workload_runs_without_failure_leak_or_drift(target: str) -> None:
    figures = await soak.run(
        target,
        minutes=0.4,
        clients=8,
        customers=150,
        windows=7,
        memory_growth_mb=20.0,
        latency_drift=2.5,
        cpu_drift=2.0,
    )

    assert figures["anomalies"] == {}, figures["anomaly_examples"]
    for kind in soak.MIX:
        assert figures["outcomes"][kind].get("ok", 0) > 20, f"too few {kind}: {figures['outcomes']}"
    broken = {name: check for name, check in figures["checks"].items() if not check["kept"]}
    assert not broken, broken
    assert all(window["resident_mb"] for window in figures["windows"]), "memory never read"
    assert all(window["connections"] for window in figures["windows"]), "connections never read"
    assert figures["invariants_kept"], figures["invariants"]
