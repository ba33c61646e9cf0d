"""Auditors search the log through GraphQL: by user, operation, object and
time, newest first; nobody else may read it."""

from __future__ import annotations

from tests.plugins.customer.conftest import Bank

AUDIT = """
query($filter: AuditFilter, $first: Int) {
  auditRecords(filter: $filter, first: $first) {
    totalCount
    edges {
      node { seq kind username roles operation outcome objects arguments user { username } }
    }
  }
}
"""


async def test_an_auditor_finds_every_record_about_a_customer(bank: Bank):
    first = await bank.register()
    await bank.register()
    auditor = await bank.sign_in("auditor")

    body = await auditor.data(AUDIT, {"filter": {"objectId": first["id"]}})

    found = body["auditRecords"]
    assert found["totalCount"] == 2
    read, node = [edge["node"] for edge in found["edges"]]  # newest first
    assert (read["kind"], read["operation"]) == ("PERSONAL_DATA_READ", "createCustomer")
    assert node["kind"] == "MUTATION"
    assert (node["operation"], node["outcome"], node["objects"]) == (
        "createCustomer",
        "OK",
        [first["id"]],
    )
    assert (node["username"], node["roles"], node["user"]) == (
        "admin",
        ["ADMIN"],
        {"username": "admin"},
    )
    assert node["arguments"]["input"]["id_number"] == "***"


async def test_records_come_newest_first_and_filter_by_user_and_operation(bank: Bank):
    await bank.register()
    await bank.register(by="bj.manager")
    auditor = await bank.sign_in("auditor")

    everything = (await auditor.data(AUDIT))["auditRecords"]
    by_manager = (await auditor.data(AUDIT, {"filter": {"userId": bank.user("bj.manager")}}))[
        "auditRecords"
    ]
    logins = (await auditor.data(AUDIT, {"filter": {"operation": "login"}}))["auditRecords"]

    seqs = [edge["node"]["seq"] for edge in everything["edges"]]
    assert seqs == sorted(seqs, reverse=True)
    assert [e["node"]["kind"] for e in by_manager["edges"]] == [
        "PERSONAL_DATA_READ",  # the answer showed the new customer's phone
        "MUTATION",
    ]
    assert {e["node"]["outcome"] for e in logins["edges"]} == {"OK"}
    assert logins["totalCount"] == 3  # admin, bj.manager, auditor signed in


async def test_only_auditors_read_the_log(bank: Bank):
    for username in ("admin", "bj.manager", "bj.rm", "marketing"):
        caller = await bank.sign_in(username)
        body = await caller.execute(AUDIT)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", username
