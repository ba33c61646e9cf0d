"""A teller or service agent, who sees customers masked, may see one customer's
personal data for a stated reason; the audit log keeps the reason."""

from __future__ import annotations

from tests.plugins.customer.conftest import CUSTOMER, SH, Bank
from tests.plugins.security.audit.records import audit_records

REVEAL = """
mutation($id: ID!, $reason: String!) {
  revealCustomerPersonalData(input: {customerId: $id, reason: $reason}) {
    customer { customerNo } personalData { idNumber phone email } errors { code field }
  }
}
"""


async def test_a_teller_sees_one_customer_unmasked_for_a_reason_kept_in_the_log(bank: Bank):
    customer = await bank.register(phone="13900007777", email="lilei@example.com")
    teller = await bank.sign_in("bj.teller")
    masked = (await teller.data(CUSTOMER, {"id": customer["id"]}))["customer"]

    body = await teller.data(REVEAL, {"id": customer["id"], "reason": "柜台核实客户身份 (开户)"})

    assert masked["phone"] == "139****7777"
    revealed = body["revealCustomerPersonalData"]
    assert revealed["personalData"] == {
        "idNumber": customer["idNumber"],
        "phone": "13900007777",
        "email": "lilei@example.com",
    }
    [record] = await audit_records(bank.runtime, "revealCustomerPersonalData")
    assert (record.username, record.outcome, record.objects) == (
        "bj.teller",
        "OK",
        [customer["id"]],
    )
    assert record.arguments["input"]["reason"] == "柜台核实客户身份 (开户)"


async def test_no_reason_no_data(bank: Bank):
    customer = await bank.register()
    teller = await bank.sign_in("bj.teller")

    body = await teller.data(REVEAL, {"id": customer["id"], "reason": " ok "})

    payload = body["revealCustomerPersonalData"]
    assert payload["errors"] == [{"code": "REASON_REQUIRED", "field": ["input", "reason"]}]
    assert payload["personalData"] is None


async def test_a_customer_out_of_scope_cannot_be_revealed(bank: Bank):
    customer = await bank.register()
    await bank.register(branchCode=SH)
    teller = await bank.sign_in("sh.teller")

    body = await teller.data(REVEAL, {"id": customer["id"], "reason": "客户来电核实身份"})

    assert [e["code"] for e in body["revealCustomerPersonalData"]["errors"]] == ["NOT_FOUND"]


async def test_only_those_given_the_step_may_take_it(bank: Bank):
    customer = await bank.register()
    marketing = await bank.sign_in("marketing")

    body = await marketing.execute(REVEAL, {"id": customer["id"], "reason": "想看看客户资料"})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
