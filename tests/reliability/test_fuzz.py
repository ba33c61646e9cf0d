"""Fuzzing from the schema, bounded: every root field group gets generated requests,
valid and hostile, over HTTP; no answer is a server error or shows internals, and
the ledger still balances afterwards (``reliability/fuzz.py``)."""

from __future__ import annotations

import fuzz

CASES_PER_GROUP = 30
PLUGINS = ("security", "customer", "finance", "marketing", "service")


async def test_generated_requests_get_clean_answers_and_leave_the_ledger_balanced(
    target: str,
) -> None:
    figures = await fuzz.run(target, cases=CASES_PER_GROUP)

    assert figures["anomalies"] == []
    groups = figures["groups"]
    assert {f"{plugin} {kind}" for plugin in PLUGINS for kind in ("query", "mutation")} | {
        "kernel query"
    } <= set(groups)
    assert all(group["cases"] >= CASES_PER_GROUP for group in groups.values()), groups
    assert figures["answers by kind"].get("200 ok", 0) > 0  # some cases did reach resolvers
    applicable = {n: i for n, i in figures["invariants"].items() if i.get("applies", True)}
    assert all(i["kept"] for i in applicable.values()), applicable


def test_the_checks_catch_a_server_error_a_trace_and_a_shapeless_answer() -> None:
    case = fuzz.Case("valid", "customer", "admin", b'{"query": "{ customer }"}')

    def answer(status: int, text: str) -> fuzz.Answer:
        parsed = fuzz.json.loads(text) if text.startswith("{") else None
        return fuzz.Answer(status, text, parsed)

    masked = '{"errors": [{"message": "x", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}'
    assert fuzz.judge(case, answer(200, '{"data": {"customer": null}}'), "") == []
    assert fuzz.judge(case, answer(502, "Bad Gateway"), "") == ["HTTP 502", "not a JSON object"]
    assert fuzz.judge(case, answer(200, masked), "") == ["INTERNAL_SERVER_ERROR"]
    assert fuzz.judge(case, answer(200, '{"errors": [{"message": "Traceback"}]}'), "") == [
        "leaks internals ['Traceback']"
    ]
    assert fuzz.judge(case, answer(200, '{"extensions": {}}'), "") == ["neither data nor errors"]
    assert fuzz.judge(case, answer(200, '{"data": {}}'), "boom") == ["the server logged an error"]


def test_an_echo_of_what_was_sent_is_no_leak() -> None:
    sent = fuzz.Case("hostile variables", "customers", "admin", b'{"query": "SELECT * FROM x"}')
    echoed = '{"errors": [{"message": "Unknown: SELECT * FROM x"}]}'

    assert fuzz.judge(sent, fuzz.Answer(200, echoed, fuzz.json.loads(echoed)), "") == []
