"""The audit log's tables: the records, the objects each names (for finding
them), and the chain's head."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from core.columns import UTCDateTime

HASH_LENGTH = 64
GENESIS = "0" * HASH_LENGTH
"""The ``previous_hash`` of the first record."""


class AuditRecord(SQLModel, table=True):
    """One audited operation. ``seq`` counts from 1 without gaps; ``hash`` is
    SHA-256 over the previous record's hash and this record's content
    (``plugins.security.audit.chain.digest``), so editing, deleting or
    reordering records breaks the chain where it was done."""

    __tablename__ = "security_audit_record"
    __table_args__ = (
        sa.Index("ix_security_audit_record_at", "at"),
        sa.Index("ix_security_audit_record_user", "user_id", "at"),
        sa.Index("ix_security_audit_record_operation", "operation", "at"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int | None = None
    username: str | None = Field(default=None, max_length=64)
    roles: str = Field(default="", max_length=200)
    branch_id: int | None = None
    kind: str = Field(max_length=32)
    operation: str = Field(max_length=100)
    outcome: str = Field(max_length=64)
    objects: list[str] = Field(default_factory=list, sa_type=JSON)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    request_id: str = Field(default="", max_length=64)
    client_address: str | None = Field(default=None, max_length=64)
    previous_hash: str = Field(max_length=HASH_LENGTH)
    hash: str = Field(max_length=HASH_LENGTH, unique=True)


class AuditObject(SQLModel, table=True):
    """An object a record names, so an auditor finds every record about it."""

    __tablename__ = "security_audit_object"

    object_id: str = Field(max_length=200, primary_key=True)
    seq: int = Field(foreign_key="security_audit_record.seq", primary_key=True, index=True)


class AuditHead(SQLModel, table=True):
    """The chain's end: the last record's number, hash and previous hash.
    Appending locks this one row, so records are chained one after another
    however many requests write at once; a deleted tail no longer meets it.
    (``previous_hash`` lets the statement that moves the head on return the
    hash it moved from, which the new record names.)"""

    __tablename__ = "security_audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS, max_length=HASH_LENGTH)
    previous_hash: str = Field(default=GENESIS, max_length=HASH_LENGTH)
