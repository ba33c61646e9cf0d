"""The database outage in its bounded form: 4 clients, the database away for
2.5 s (PostgreSQL: a relay cut; SQLite: another process holding the write lock)."""

from __future__ import annotations

import outage


async def test_an_outage_is_told_as_retryable_and_service_resumes_by_itself(target: str) -> None:
    figures = await outage.run(target, clients=4, before=2.0, outage=2.5, after=4.0)

    assert figures["anomalies"] == {}, (figures, figures["anomaly_examples"])
    assert figures["invariants_kept"], figures["invariants"]
    during = figures["answers by phase and outcome"]["during"]
    if figures["how"] == "lock":
        assert figures["writers shut out by the lock"]
        assert figures["slowest answer s by phase"]["during"] > 1, "nobody waited for the lock"
    else:
        assert during.get("DATABASE_UNAVAILABLE", 0) > 0, during
        assert figures["readyz"]["answers by phase"]["during"].get("503", 0) > 0
    assert figures["answers by phase and outcome"]["after"].get("OK", 0) > 10
    assert figures["transfers"]["committed"] > 5
