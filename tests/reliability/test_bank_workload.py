"""The bank workload in its bounded form: 16 clients, 400 operations, the A↔B race."""

from __future__ import annotations

import bank_workload


async def test_money_neither_appears_nor_vanishes_under_concurrent_transfers_and_reads(
    target: str,
) -> None:
    figures = await bank_workload.run(target, clients=16, operations=400, race_each_way=50)

    assert figures["anomalies"] == {}, figures["anomaly_examples"]
    assert figures["invariants_kept"], figures["invariants"]
    assert figures["operations"] == 400
    assert figures["outcomes"]["read"]["ok"] > 100
    assert figures["outcomes"]["transfer"]["committed"] > 100
    assert figures["ledger"]["transfer entries in the ledger"] == (
        figures["outcomes"]["transfer"]["committed"] + 100
    )
    assert figures["race"]["committed"] == 100
