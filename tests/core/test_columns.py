from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from core.authorization import Role
from core.columns import MinorUnits, UTCDateTime, utcnow
from core.db import Mode
from core.runtime import Runtime
from plugins.security.models import User
from tests.conftest import Staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING_IN_SHANGHAI = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=SHANGHAI)


def test_utcnow_is_aware_and_in_utc() -> None:
    now = utcnow()

    assert now.utcoffset() == timedelta(0)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_a_naive_datetime_is_refused(dialect: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 3, 2, 9, 30), dialect)  # type: ignore[arg-type]


async def set_last_login(runtime: Runtime, user_id: int, moment: datetime) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(User).where(User.id == user_id).values(last_login_at=moment))


async def test_writing_a_naive_datetime_fails_and_writes_nothing(
    runtime: Runtime, staff: Staff
) -> None:
    user_id = await staff.user("admin", Role.ADMIN)

    with pytest.raises(StatementError, match="naive"):
        await set_last_login(runtime, user_id, datetime(2026, 3, 2, 9, 30))

    async with runtime.database.transaction(Mode.READ) as session:
        assert await session.scalar(select(User.last_login_at)) is None


async def test_a_moment_in_another_zone_reads_back_as_the_same_instant_in_utc(
    runtime: Runtime, staff: Staff
) -> None:
    user_id = await staff.user("admin", Role.ADMIN)

    await set_last_login(runtime, user_id, MORNING_IN_SHANGHAI)
    async with runtime.database.transaction(Mode.READ) as session:
        stored = await session.scalar(select(User.last_login_at).where(User.id == user_id))

    assert stored == MORNING_IN_SHANGHAI
    assert stored.utcoffset() == timedelta(0)
    assert stored.replace(tzinfo=None) == datetime(2026, 3, 2, 1, 30, 15, 123456)


async def test_stored_moments_compare_in_sql_as_instants(runtime: Runtime, staff: Staff) -> None:
    user_id = await staff.user("admin", Role.ADMIN)
    await set_last_login(runtime, user_id, MORNING_IN_SHANGHAI)
    just_before_in_utc = (MORNING_IN_SHANGHAI - timedelta(seconds=1)).astimezone(UTC)
    just_after_in_new_york = (MORNING_IN_SHANGHAI + timedelta(seconds=1)).astimezone(
        ZoneInfo("America/New_York")
    )

    async with runtime.database.transaction(Mode.READ) as session:
        after = await session.scalar(select(User.id).where(User.last_login_at > just_before_in_utc))
        before = await session.scalar(
            select(User.id).where(User.last_login_at < just_after_in_new_york)
        )

    assert (after, before) == (user_id, user_id)


async def test_null_stays_null(runtime: Runtime, staff: Staff) -> None:
    user_id = await staff.user("admin", Role.ADMIN)

    async with runtime.database.transaction(Mode.READ) as session:
        assert await session.scalar(select(User.last_login_at).where(User.id == user_id)) is None


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        (Decimal("1234.56"), 123456),
        (Decimal("0.01"), 1),
        (Decimal("-7.5"), -750),
        (Decimal("99999999999999.99"), 9999999999999999),
    ],
)
def test_minor_units_store_money_exactly_as_fen(amount: Decimal, stored: int) -> None:
    column = MinorUnits()

    assert column.process_bind_param(amount, sqlite.dialect()) == stored
    assert column.process_result_value(stored, sqlite.dialect()) == amount


def test_minor_units_read_back_at_their_scale() -> None:
    assert str(MinorUnits().process_result_value(500, sqlite.dialect())) == "5.00"
    assert str(MinorUnits(scale=6).process_result_value(1, sqlite.dialect())) == "0.000001"


def test_minor_units_refuse_a_value_finer_than_their_scale() -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        MinorUnits().process_bind_param(Decimal("0.001"), sqlite.dialect())
