"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from core.money import from_minor_units, to_minor_units


def enum_column(kind: type[enum.Enum]) -> Enum:
    """Store an enum as its name in a plain string column (no database enum type,
    so adding a member needs no migration of a type)."""
    return Enum(kind, native_enum=False, length=32)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back time-zone aware.

    SQLite keeps no zone, so without this a value written aware comes back
    naive and cannot be compared with ``utcnow()``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC moment is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MinorUnits(TypeDecorator[Decimal]):
    """An exact Decimal stored as a whole number of minor units (fen at scale 2).

    SQLite's NUMERIC keeps values as floating point, so money is stored as an
    integer on every database: 1234.56 CNY is 123456. A value finer than the
    scale is refused (``core.money.to_minor_units``), never rounded.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else to_minor_units(value, self.scale)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_minor_units(value, self.scale)
