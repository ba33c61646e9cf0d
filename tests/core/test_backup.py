"""Backup and restore (数据备份和恢复): a backup taken while money moves restores,
into an empty database of the suite's kind, to the same consistent books; a
damaged or cut-short file, or a database that is not empty, changes nothing."""

from __future__ import annotations

import asyncio
import os
import random
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import migrations
from core.backup import BackupError, Manifest, restore_backup, take_backup
from core.backup import postgres as postgres_backup
from core.backup.archive import read_archive, sha256_of, write_archive
from core.backup.contents import Contents, describe
from core.backup.manifest import DUMP_NAMES
from core.db import Database, Mode
from core.runtime import Runtime
from plugins.finance import movements
from plugins.finance.ledger import check_ledger
from plugins.finance.models import JournalEntry
from plugins.security.audit.verify import verify_chain
from plugins.security.models import User
from tests.conftest import _create_postgres_database, _drop_postgres_database, settings_for
from tests.plugins.customer.conftest import bank, password_hash  # noqa: F401  (fixtures)
from tests.plugins.finance.conftest import (  # noqa: F401  (the fixture, shared)
    Books,
    books,
    crm,
    global_id_of,
    head_office,
)

ENTRIES = JournalEntry.__tablename__
ACCOUNTS = 6
MOVERS = 4
BEFORE = 12
"""Transfers done before the backup starts ..."""
AFTER = 3
"""... and by each mover after it has finished: the load is on throughout."""


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new database of the suite's kind, with nothing in it, to restore into."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    server = make_url(os.environ["CRM_TEST_DATABASE_URL"])
    database = await _create_postgres_database(server)
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        await _drop_postgres_database(server, database)


@pytest.fixture
async def restored(empty_database: str) -> AsyncIterator[Runtime]:
    """A runtime on the empty database."""
    runtime = Runtime.create(settings_for(empty_database))
    yield runtime
    await runtime.close()


@pytest.fixture
async def backup_file(books: Books, runtime: Runtime, tmp_path: Path) -> Path:  # noqa: F811
    """A backup of a small bank: two accounts, money paid in and moved between them."""
    source, target = await books.account_with("100.00"), await books.account_with("0.00")
    await books.transfer(source, target, "12.34")
    file = tmp_path / "bank.backup"
    await take_backup(runtime.database, file)
    return file


async def contents_of(database: Database) -> Contents:
    async with database.engine.connect() as connection:
        return await connection.run_sync(describe)


async def assert_restored_books_hold(restored: Runtime, manifest: Manifest) -> None:
    """What a restored bank must show: every table holds the manifest's rows, the
    schema is at the backup's revisions, the ledger balances and the audit
    chain is intact (the transfers' records among them)."""
    assert await contents_of(restored.database) == manifest.contents
    assert await migrations.pending(restored.database, restored.plugins) == []
    async with restored.database.transaction(Mode.READ) as session:
        ledger = await check_ledger(session)
        audit = await verify_chain(session)
    assert ledger.ok, ledger
    assert audit.ok, audit
    assert audit.checked == manifest.contents.counts["security_audit_record"] > 0


async def test_a_backup_taken_during_transfers_restores_to_a_consistent_ledger(
    books: Books,  # noqa: F811
    runtime: Runtime,
    restored: Runtime,
    tmp_path: Path,
):
    accounts = [await books.account_with("1000.00") for _ in range(ACCOUNTS)]
    rng = random.Random(20260611)  # noqa: S311  (reproducible test load, not secrets)
    started, finished = asyncio.Event(), asyncio.Event()
    transfers = 0

    async def mover() -> None:
        nonlocal transfers
        after = 0
        while after < AFTER:
            source, target = rng.sample(accounts, 2)
            payload = await books.transfer(source, target, Decimal(rng.randint(1, 500)) / 100)
            assert payload["errors"] == [], payload["errors"]
            transfers += 1
            if transfers >= BEFORE:
                started.set()
            after += finished.is_set()

    async def backup() -> tuple[int, Manifest]:
        await started.wait()
        entries_before = await books.entries()
        manifest = await take_backup(runtime.database, tmp_path / "bank.backup")
        finished.set()
        return entries_before, manifest

    async with asyncio.TaskGroup() as load:
        for _ in range(MOVERS):
            load.create_task(mover())
        backing_up = load.create_task(backup())
    entries_before, manifest = backing_up.result()

    backed_up, entries_after = manifest.contents.counts[ENTRIES], await books.entries()
    print(
        f"\nbackup under load: {transfers} transfers; journal entries {entries_before} as the "
        f"backup began, {backed_up} in it, {entries_after} at the end"
    )
    assert entries_before <= backed_up < entries_after
    assert await restore_backup(restored.database, restored.plugins, tmp_path / "bank.backup")
    await assert_restored_books_hold(restored, manifest)
    await assert_the_restored_bank_takes_deposits(restored, accounts[0])


async def assert_the_restored_bank_takes_deposits(restored: Runtime, account: dict[str, Any]):
    """The restored database goes on numbering rows where the backup left off."""
    async with restored.database.transaction(Mode.WRITE) as session:
        admin = await session.scalar(select(User.id).where(User.username == "admin"))
        await movements.deposit(
            session,
            restored.settings,
            movements.Request(head_office(admin), "after-restore"),  # type: ignore[arg-type]
            int(global_id_of(account)),
            Decimal("1.00"),
        )
    async with restored.database.transaction(Mode.READ) as session:
        assert (await check_ledger(session)).ok


def test_the_manifest_says_what_the_archive_holds(backup_file: Path, database_url: str):
    with tarfile.open(backup_file) as archive:
        assert archive.getnames() == [
            "manifest.json",
            "manifest.json.sha256",
            DUMP_NAMES[make_url(database_url).get_backend_name()],
        ]
    assert oct(backup_file.stat().st_mode)[-3:] == "600"
    manifest, dump = read_archive(backup_file, backup_file.parent)
    assert manifest.created_at.utcoffset() == timedelta(0)
    assert manifest.dump_sha256 == sha256_of(dump)
    assert manifest.contents.counts[ENTRIES] == 2  # a deposit and a transfer
    assert manifest.contents.counts["alembic_version"] == len(manifest.contents.heads) > 1


def flip_a_bit(file: Path, position: int) -> None:
    data = bytearray(file.read_bytes())
    data[position] ^= 0x01
    file.write_bytes(data)


def cut(file: Path, keep: Callable[[int], int]) -> None:
    """Keep the first ``keep(size)`` bytes of ``file``."""
    data = file.read_bytes()
    file.write_bytes(data[: keep(len(data))])


def _at(member: str, offset: int = 0, *, header: bool = False) -> Callable[[Path], int]:
    def position(file: Path) -> int:
        with tarfile.open(file) as archive:
            found = archive.getmember(member)
        return (found.offset if header else found.offset_data) + offset

    return position


def _dump(file: Path) -> str:
    with tarfile.open(file) as archive:
        return archive.getnames()[2]


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(_at("manifest.json", 20), id="in the manifest"),
        pytest.param(_at("manifest.json.sha256", 3), id="in the manifest's checksum"),
        pytest.param(lambda file: _at(_dump(file), 600)(file), id="in the dump"),
        # The one byte of a tar header its own checksum does not cover.
        pytest.param(lambda file: _at(_dump(file), 155, header=True)(file), id="in a header"),
        pytest.param(lambda file: file.stat().st_size - 1, id="in the end-of-archive blocks"),
    ],
)
async def test_a_backup_with_one_byte_changed_is_refused_and_restores_nothing(
    backup_file: Path, restored: Runtime, where: Callable[[Path], int]
):
    flip_a_bit(backup_file, where(backup_file))

    with pytest.raises(BackupError) as refused:
        await restore_backup(restored.database, restored.plugins, backup_file)

    assert refused.value.code == "BACKUP_CORRUPT"
    assert "damaged or was changed" in refused.value.message
    assert (await contents_of(restored.database)).counts == {}


@pytest.mark.parametrize(
    "keep",
    [lambda size: size // 2, lambda size: size - 512, lambda size: 100],
    ids=["half", "all but the last block", "part of a header"],
)
async def test_a_backup_cut_short_is_refused(
    backup_file: Path, restored: Runtime, keep: Callable[[int], int]
):
    cut(backup_file, keep)

    with pytest.raises(BackupError) as refused:
        await restore_backup(restored.database, restored.plugins, backup_file)

    assert refused.value.code == "BACKUP_CORRUPT"
    assert (await contents_of(restored.database)).counts == {}


async def test_restoring_into_a_database_with_data_is_refused_and_changes_nothing(
    backup_file: Path,
    runtime: Runtime,
    books: Books,  # noqa: F811
):
    await books.account_with("5.00")
    before = await contents_of(runtime.database)

    with pytest.raises(BackupError) as refused:
        await restore_backup(runtime.database, runtime.plugins, backup_file)

    assert refused.value.code == "RESTORE_TARGET_NOT_EMPTY"
    assert "of them with rows" in refused.value.message
    assert await contents_of(runtime.database) == before


async def test_a_migrated_database_without_customers_is_not_empty_either(
    backup_file: Path, restored: Runtime
):
    await migrations.upgrade(restored.database, restored.plugins)

    with pytest.raises(BackupError) as refused:
        await restore_backup(restored.database, restored.plugins, backup_file)

    assert refused.value.code == "RESTORE_TARGET_NOT_EMPTY"


def _other_engine(engine: str) -> str:
    return next(other for other in DUMP_NAMES if other != engine)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda m: replace(m, engine=_other_engine(m.engine)), "BACKUP_ENGINE_MISMATCH"),
        (
            lambda m: replace(m, contents=Contents(("nosuch_0001",), m.contents.counts)),
            "BACKUP_SCHEMA_UNKNOWN",
        ),
    ],
    ids=["of another engine", "from an unknown schema"],
)
async def test_a_whole_backup_this_database_cannot_take_is_refused(
    backup_file: Path,
    restored: Runtime,
    tmp_path: Path,
    change: Callable[[Manifest], Manifest],
    code: str,
):
    manifest, dump = read_archive(backup_file, tmp_path)
    forged = change(manifest)
    renamed = dump.with_name(forged.dump_name)
    if renamed != dump:
        dump.rename(renamed)
    write_archive(tmp_path / "forged.backup", forged, renamed)

    with pytest.raises(BackupError) as refused:
        await restore_backup(restored.database, restored.plugins, tmp_path / "forged.backup")

    assert refused.value.code == code
    assert (await contents_of(restored.database)).counts == {}


async def test_a_backup_never_overwrites_a_file(runtime: Runtime, tmp_path: Path):
    earlier = tmp_path / "bank.backup"
    earlier.write_bytes(b"last week's backup")

    with pytest.raises(BackupError) as refused:
        await take_backup(runtime.database, earlier)

    assert refused.value.code == "BACKUP_EXISTS"
    assert earlier.read_bytes() == b"last week's backup"


async def test_a_missing_backup_file_is_named(restored: Runtime, tmp_path: Path):
    with pytest.raises(BackupError) as refused:
        await restore_backup(restored.database, restored.plugins, tmp_path / "nowhere.backup")

    assert refused.value.code == "BACKUP_NOT_FOUND"


async def test_the_crm_commands_back_up_and_restore(
    books: Books,  # noqa: F811
    database_url: str,
    empty_database: str,
    tmp_path: Path,
):
    await books.account_with("100.00")
    file = tmp_path / "by-the-command.backup"

    backed_up = crm(database_url, "backup", str(file), cwd=tmp_path)
    restored = crm(empty_database, "restore", str(file), cwd=tmp_path)
    checked = crm(empty_database, "ledger", "check", cwd=tmp_path)
    again = crm(empty_database, "restore", str(file), cwd=tmp_path)
    cut(file, lambda size: size - 1)
    damaged = crm(empty_database, "restore", str(file), cwd=tmp_path)

    assert backed_up.returncode == 0, backed_up.stderr
    assert "backed up" in backed_up.stdout
    assert restored.returncode == 0, restored.stderr
    assert "every table holds the rows the manifest counts" in restored.stdout
    assert checked.returncode == 0, checked.stderr
    assert again.returncode == 2
    assert "RESTORE_TARGET_NOT_EMPTY" in again.stderr
    assert damaged.returncode == 2
    assert "BACKUP_CORRUPT" in damaged.stderr
    assert "Traceback" not in again.stderr + damaged.stderr


def test_pg_dump_is_found_off_the_path_the_newest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    for version in ("9", "15"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "pg_dump").touch()
    monkeypatch.setattr(postgres_backup.shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgres_backup, "TOOL_FOLDERS", (f"{tmp_path}/*/bin",))

    assert postgres_backup.find_tool("pg_dump") == tmp_path / "15" / "bin" / "pg_dump"
    with pytest.raises(BackupError) as missing:
        postgres_backup.find_tool("pg_restore")
    assert missing.value.code == "BACKUP_TOOL_MISSING"
    assert "postgresql-client" in missing.value.message


def test_the_password_reaches_pg_dump_in_its_environment_not_its_command_line():
    uri, environment = postgres_backup.libpq_connection(
        make_url("postgresql+asyncpg://crm:s3cret@db.internal:5433/crm?ssl=require")
    )

    assert uri == "postgresql://crm@db.internal:5433/crm?sslmode=require"
    assert environment["PGPASSWORD"] == "s3cret"


def test_a_manifest_is_read_back_as_written():
    manifest = Manifest(
        engine="sqlite",
        created_at=datetime(2026, 6, 11, 9, 30, tzinfo=UTC),
        contents=Contents(("kernel_0002",), {"alembic_version": 1, "finance_account": 7}),
        dump_sha256="0" * 64,
        dump_size=4096,
        application_version="0.1.0",
    )

    assert Manifest.from_json(manifest.to_json()) == manifest
