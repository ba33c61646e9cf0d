"""A backup's manifest: what the archive holds, so that a restore can prove it got
all of it (``manifest.json`` in the archive)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from core.backup.contents import Contents
from core.backup.errors import BackupError, corrupt

FORMAT = "bank-crm-backup"
FORMAT_VERSION = 1
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
"""The dump's name in the archive, by engine: a SQLite database file, or
``pg_dump --format=custom`` output."""
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Manifest:
    engine: str
    created_at: datetime
    contents: Contents
    dump_sha256: str
    dump_size: int
    application_version: str

    @property
    def dump_name(self) -> str:
        return DUMP_NAMES[self.engine]

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine": self.engine,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "application_version": self.application_version,
            "alembic_heads": list(self.contents.heads),
            "row_counts": self.contents.counts,
            "dump": {"name": self.dump_name, "size": self.dump_size, "sha256": self.dump_sha256},
        }
        return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """The manifest in ``data`` (whose checksum the caller has verified)."""
        try:
            document = json.loads(data)
        except ValueError:
            raise corrupt("its manifest is not JSON") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise corrupt("its manifest is not a bank CRM backup's")
        if document.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                "BACKUP_FORMAT_UNSUPPORTED",
                f"the backup is in format version {document.get('format_version')!r}; this "
                f"version of the CRM reads version {FORMAT_VERSION}",
            )
        try:
            return cls._parse(document)
        except (KeyError, TypeError, ValueError):
            raise corrupt("its manifest lacks a field or has one of the wrong kind") from None

    @classmethod
    def _parse(cls, document: dict[str, Any]) -> Manifest:
        engine = str(document["engine"])
        dump = document["dump"]
        counts = document["row_counts"]
        if engine not in DUMP_NAMES or dump["name"] != DUMP_NAMES[engine]:
            raise ValueError(engine)
        created_at = datetime.fromisoformat(document["created_at"])
        if created_at.tzinfo is None:
            raise ValueError("created_at without a time zone")
        return cls(
            engine=engine,
            created_at=created_at,
            contents=Contents(
                heads=tuple(str(head) for head in document["alembic_heads"]),
                counts={str(name): _count(rows) for name, rows in counts.items()},
            ),
            dump_sha256=str(dump["sha256"]),
            dump_size=_count(dump["size"]),
            application_version=str(document["application_version"]),
        )


def _count(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(value)
    return value


def application_version() -> str:
    try:
        return version("bank-crm")
    except PackageNotFoundError:
        return "unknown"
