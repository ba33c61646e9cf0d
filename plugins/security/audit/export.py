"""The audit log as CSV, for auditors' own tools."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from core.csv_text import csv_text
from plugins.security.audit.models import AuditRecord

HEADER = (
    "seq",
    "at",
    "username",
    "roles",
    "branch_id",
    "kind",
    "operation",
    "outcome",
    "objects",
    "arguments",
    "request_id",
    "client_address",
    "hash",
)


def records_csv(records: Iterable[AuditRecord]) -> str:
    rows: list[Iterable[Any]] = [HEADER]
    rows += (
        (
            r.seq,
            r.at.isoformat(),
            r.username or "",
            r.roles,
            r.branch_id if r.branch_id is not None else "",
            r.kind,
            r.operation,
            r.outcome,
            " ".join(r.objects),
            json.dumps(r.arguments, ensure_ascii=False, sort_keys=True),
            r.request_id,
            r.client_address or "",
            r.hash,
        )
        for r in records
    )
    return csv_text(rows)
