"""Running the delivery as operators do: the end-of-day batch sends what is
due once the date is closed, and ``crm marketing deliver`` does the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Mode
from core.end_of_day import EndOfDayRun, close_business_day
from plugins.marketing.delivery.models import MessageStatus
from plugins.marketing.settings import marketing_settings
from tests.plugins.customer.conftest import Bank
from tests.plugins.finance.conftest import crm
from tests.plugins.marketing.delivery.conftest import SECRET, Gateway
from tests.plugins.marketing.delivery.messages import outbox
from tests.plugins.marketing.test_campaigns import launched


@pytest.fixture
def gateway_settings(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    settings = {"CRM_SMS_GATEWAY_URL": gateway.url, "CRM_GATEWAY_SECRET": SECRET}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    marketing_settings.cache_clear()
    yield settings
    monkeypatch.undo()
    marketing_settings.cache_clear()


async def test_the_end_of_day_batch_sends_after_closing_the_date(
    bank: Bank, gateway: Gateway, gateway_settings: dict[str, str]
) -> None:
    campaign = await launched(bank, await bank.register(), await bank.register(), channel="SMS")

    closed = await close_business_day(bank.runtime)

    assert closed is not None
    line = "2 sent, 0 to retry, 0 failed, 0 suppressed"
    assert closed.report["marketing.delivery"] == line
    async with bank.runtime.database.transaction(Mode.READ) as session:
        run = await session.get_one(EndOfDayRun, closed.business_date)
    assert json.loads(run.report)["marketing.delivery"] == line
    assert {m.status for m in await outbox(bank, campaign)} == {MessageStatus.SENT}
    assert len(gateway.delivered) == 2


async def test_an_unreachable_gateway_does_not_stop_the_day_closing(
    bank: Bank, gateway: Gateway, gateway_settings: dict[str, str]
) -> None:
    campaign = await launched(bank, await bank.register(), channel="SMS")
    gateway.stop()
    opened = bank.runtime.settings.today()

    closed = await close_business_day(bank.runtime)

    assert closed is not None
    assert closed.business_date == opened
    assert closed.report["marketing.delivery"] == "0 sent, 1 to retry, 0 failed, 0 suppressed"
    assert [m.status for m in await outbox(bank, campaign)] == [MessageStatus.PENDING]


async def test_the_deliver_command_sends_what_is_due(
    bank: Bank,
    gateway: Gateway,
    gateway_settings: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    campaign = await launched(bank, await bank.register(), channel="SMS")

    done = crm(database_url, "marketing", "deliver", cwd=tmp_path, settings=gateway_settings)

    assert done.returncode == 0, done.stderr
    assert "1 sent, 0 to retry, 0 failed, 0 suppressed" in done.stdout
    assert [m.status for m in await outbox(bank, campaign)] == [MessageStatus.SENT]
