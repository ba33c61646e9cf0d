"""Every read of unmasked personal data is recorded, once per request, naming
the customers it showed; a masked read is not."""

from __future__ import annotations

from tests.plugins.customer.conftest import CUSTOMER, Bank
from tests.plugins.security.audit.records import audit_records

PAGE = "query Portfolio { customers(first: 10) { edges { node { id phone } } } }"


async def reads(bank: Bank) -> list[tuple[str, str, list[str]]]:
    records = await audit_records(bank.runtime)
    return [
        (r.username or "", r.operation, r.objects)
        for r in records
        if r.kind == "PERSONAL_DATA_READ"
    ]


async def test_a_page_of_unmasked_customers_is_one_record_naming_each(bank: Bank):
    first, second = await bank.register(), await bank.register()
    before = await reads(bank)
    manager = await bank.sign_in("bj.manager")

    await manager.data(PAGE)

    [(username, operation, objects)] = (await reads(bank))[len(before) :]
    assert (username, operation) == ("bj.manager", "Portfolio")
    assert sorted(objects) == sorted([first["id"], second["id"]])


async def test_a_masked_read_is_not_recorded(bank: Bank):
    customer = await bank.register()
    before = await reads(bank)
    teller = await bank.sign_in("bj.teller")

    body = await teller.data(CUSTOMER, {"id": customer["id"]})

    assert "*" in body["customer"]["phone"]
    assert await reads(bank) == before
