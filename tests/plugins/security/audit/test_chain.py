"""The audit log is a hash chain: `verify_chain` and `crm audit verify` find
the first record that was edited, deleted or moved, and a cut-off tail."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.audit import OK, Actor, AuditEntry, AuditKind
from core.db import Mode
from core.runtime import Runtime
from plugins.security.audit.chain import HEAD, append, around_seq, content, digest
from plugins.security.audit.models import AuditHead, AuditRecord
from tests.plugins.customer.conftest import Bank
from tests.plugins.finance.conftest import crm
from tests.plugins.security.audit.records import audit_records, edit, remove, swap, verdict

REGISTERED = 4
RECORDS = 1 + 2 * REGISTERED
"""A sign-in, then for each customer registered its creation and the
unmasked read of their personal data in the answer."""


@pytest.fixture
async def chain(bank: Bank) -> Runtime:
    for _ in range(REGISTERED):
        await bank.register()
    assert len(await audit_records(bank.runtime)) == RECORDS
    return bank.runtime


async def test_an_untouched_chain_is_intact(chain: Runtime):
    found = await verdict(chain)

    assert (found.ok, found.checked) == (True, RECORDS)


async def test_an_edited_record_breaks_the_chain_where_it_was_edited(chain: Runtime):
    await edit(chain, 3, outcome="OK", username="someone-else")

    found = await verdict(chain)

    assert (found.broken_at, found.reason) == (3, "its content does not match its hash")
    assert found.checked == 2


async def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(chain: Runtime):
    [record] = [r for r in await audit_records(chain) if r.seq == 3]
    record.username = "someone-else"
    await edit(chain, 3, username="someone-else", hash=digest(record.previous_hash, record))

    found = await verdict(chain)

    assert (found.broken_at, found.reason) == (4, "it does not follow the record before it")


async def test_a_deleted_record_is_missed(chain: Runtime):
    await remove(chain, 2)

    found = await verdict(chain)

    assert (found.broken_at, found.reason) == (2, "record 2 is missing")


async def test_reordered_records_break_the_chain(chain: Runtime):
    await swap(chain, 2, 3)

    found = await verdict(chain)

    assert (found.broken_at, found.reason) == (2, "it does not follow the record before it")


async def test_a_cut_off_tail_no_longer_meets_the_head(chain: Runtime):
    await remove(chain, RECORDS)

    found = await verdict(chain)

    assert found.broken_at == RECORDS
    assert found.reason == f"the chain ends at {RECORDS - 1}, its head at {RECORDS}"


async def test_records_are_chained_one_after_another_under_concurrent_writes(bank: Bank):
    await asyncio.gather(*(bank.register() for _ in range(8)))

    records = await audit_records(bank.runtime)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert (await verdict(bank.runtime)).ok


async def test_concurrent_appends_each_follow_the_one_committed_before(bank: Bank):
    """On PostgreSQL the database numbers each record and computes its digest
    as it moves the head on; the digests must be the ones verification
    recomputes, for content in any script, and each record must name the hash
    of the one committed just before it."""
    runtime = bank.runtime
    actor = Actor(7, "李经理", ("RELATIONSHIP_MANAGER",), 3, "request-1", "203.0.113.9")

    async def one(n: int) -> AuditRecord:
        entry = AuditEntry(
            AuditKind.MUTATION,
            "transfer",
            OK,
            tuple(f"Account:{n}-{i}" for i in range(n % 3)),
            {"memo": f'房租 "seq":{n} \n', "amount": str(n)},
        )
        async with runtime.database.transaction(Mode.WRITE) as session:
            return await append(session, actor, entry)

    written = await asyncio.gather(*(one(n) for n in range(24)))

    records = await audit_records(runtime)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert {r.seq: r.hash for r in written}.items() <= {r.seq: r.hash for r in records}.items()
    assert all(digest(r.previous_hash, r) == r.hash for r in records)
    assert (await verdict(runtime)).ok
    async with runtime.database.transaction(Mode.READ) as session:
        head = await session.get_one(AuditHead, HEAD)
    assert (head.seq, head.hash, head.previous_hash) == (
        records[-1].seq,
        records[-1].hash,
        records[-1].previous_hash,
    )


def test_the_content_around_the_number_is_the_canonical_json():
    record = AuditRecord(
        seq=1234,
        at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        username='王"seq":9',
        roles="TELLER",
        kind="MUTATION",
        operation="deposit",
        outcome=OK,
        objects=["Account:1"],
        arguments={"seq": None, "备注": "现金"},
        request_id="r",
    )

    before, after = around_seq(record)

    assert f"{before}{record.seq}{after}" == json.dumps(
        content(record), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


async def test_the_verify_command_reports_the_first_broken_record(
    chain: Runtime, database_url: str, tmp_path: Path
):
    intact = crm(database_url, "audit", "verify", cwd=tmp_path)
    await edit(chain, 4, operation="deleteEverything")
    broken = crm(database_url, "audit", "verify", cwd=tmp_path)

    assert (intact.returncode, intact.stdout.strip()) == (
        0,
        f"audit chain intact: {RECORDS} records",
    )
    assert broken.returncode == 1
    assert "broken at record 4: its content does not match its hash" in broken.stdout


async def test_the_export_command_writes_the_log_as_csv(
    chain: Runtime, database_url: str, tmp_path: Path
):
    done = crm(
        database_url, "audit", "export", "--operation", "createCustomer", "-o", "audit.csv",
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "audit.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("seq,at,username,roles")
    assert len(lines) == 1 + 2 * REGISTERED  # the creations and the reads of their answers
    assert sum(",MUTATION,createCustomer,OK," in line for line in lines) == REGISTERED
    assert sum(",PERSONAL_DATA_READ,createCustomer,OK," in line for line in lines) == REGISTERED
    async with chain.database.transaction(Mode.READ) as session:
        assert await session.get(AuditRecord, 1) is not None
