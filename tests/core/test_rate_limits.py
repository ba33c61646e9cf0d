"""Rate limits per client address and per signed-in user, for every request and
for sign-in attempts: refused with 429 RATE_LIMITED and Retry-After, nothing run."""

from __future__ import annotations

from typing import Any

import pytest

from core.app import create_app
from core.authorization import Role
from core.client_address import client_address, rate_limit_key
from core.rate_limits import RateLimits, TokenBuckets
from core.runtime import Runtime
from core.settings import load_settings
from tests.conftest import PASSWORD, Staff
from tests.core.conftest import RuntimeFactory
from tests.core.hardening import Clock, caller, error_code, login, row_counts

ME = {"query": "{ me { username } }"}


def test_a_bucket_allows_a_burst_up_to_its_capacity_then_refuses() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=3, window_seconds=60, clock=clock)

    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == 20  # one token comes back every 60 / 3 seconds
    assert buckets.take("b") == 0


def test_a_bucket_refills_with_time() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=3, window_seconds=60, clock=clock)
    for _ in range(3):
        buckets.take("a")

    clock.advance(19)
    assert buckets.take("a") == 1
    clock.advance(1)
    assert buckets.take("a") == 0
    clock.advance(600)
    assert [buckets.take("a") for _ in range(4)] == [0, 0, 0, 20]


def test_a_refused_take_spends_nothing() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=2, window_seconds=60, clock=clock)
    buckets.take("a", 2)
    for _ in range(10):
        buckets.take("a")

    clock.advance(30)
    assert buckets.take("a") == 0


def test_more_tokens_than_the_capacity_are_never_granted() -> None:
    buckets = TokenBuckets(capacity=2, window_seconds=60, clock=Clock())

    assert buckets.take("a", 3) == 60
    assert buckets.take("a", 2) == 0


def test_refilled_buckets_are_forgotten_when_there_are_too_many() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=1, window_seconds=60, clock=clock, max_keys=2)
    buckets.take("a")
    buckets.take("b")
    clock.advance(60)
    buckets.take("c")

    assert len(buckets) == 1
    assert buckets.take("c") == 60


def scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def networks(text: str) -> Any:
    return load_settings(trusted_proxies=text).trusted_proxies


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.9", None, "", "198.51.100.9"),
        ("198.51.100.9", "203.0.113.7", "", "198.51.100.9"),
        ("10.0.0.2", "203.0.113.7", "10.0.0.0/8", "203.0.113.7"),
        ("10.0.0.2", "1.2.3.4, 203.0.113.7", "10.0.0.0/8", "203.0.113.7"),
        ("10.0.0.2", "not an address", "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.0/8", "10.0.0.2"),
        ("2001:db8:1:2:3:4:5:6", None, "", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.9", None, "", "198.51.100.9"),
    ],
    ids=[
        "peer",
        "untrusted-peer-forwarded-is-ignored",
        "trusted-proxy",
        "only-the-last-hop",
        "unusable-forwarded",
        "trusted-proxy-without-header",
        "ipv6-by-subscriber-network",
        "ipv4-mapped",
    ],
)
def test_the_rate_limit_key(peer: str, forwarded: str | None, trusted: str, expected: str) -> None:
    assert rate_limit_key(scope(peer, forwarded), networks(trusted)) == expected


def test_the_client_address_names_an_ipv6_caller_in_full() -> None:
    peer = "2001:db8:1:2:3:4:5:6"

    assert client_address(scope(peer), ()) == peer
    assert client_address(scope("10.0.0.2", "203.0.113.7"), networks("10.0.0.2")) == "203.0.113.7"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(make_runtime: RuntimeFactory, clock: Clock) -> Any:
    """An app with small budgets per minute, on a clock the test moves."""

    def build(**settings: Any) -> tuple[Any, Runtime]:
        runtime = make_runtime(**settings)
        runtime.rate_limits = RateLimits(runtime.settings, clock=clock)
        return create_app(runtime), runtime

    return build


async def test_requests_over_the_address_budget_are_refused_with_retry_after(
    limited: Any,
) -> None:
    app, _ = limited(requests_per_address=3)

    async with caller(app) as http:
        answers = [await http.post("/graphql", json=ME) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["retry-after"] == "20"
    assert refused.json() == {
        "errors": [
            {
                "message": "Too many requests; try again in 20 seconds.",
                "extensions": {"code": "RATE_LIMITED"},
            }
        ]
    }


async def test_the_address_budget_recovers_after_the_window(limited: Any, clock: Clock) -> None:
    app, _ = limited(requests_per_address=2)
    async with caller(app) as http:
        for _ in range(3):
            await http.post("/graphql", json=ME)

        clock.advance(60)
        again = [await http.post("/graphql", json=ME) for _ in range(3)]

    assert [answer.status_code for answer in again] == [200, 200, 429]


async def test_each_address_has_its_own_budget(limited: Any) -> None:
    app, _ = limited(requests_per_address=1)
    async with caller(app, "203.0.113.7") as first, caller(app, "203.0.113.8") as second:
        assert (await first.post("/graphql", json=ME)).status_code == 200
        assert (await first.post("/graphql", json=ME)).status_code == 429
        assert (await second.post("/graphql", json=ME)).status_code == 200


async def test_health_probes_are_not_rate_limited(limited: Any) -> None:
    app, _ = limited(requests_per_address=1)
    async with caller(app) as http:
        answers = [await http.get("/healthz") for _ in range(5)]

    assert {answer.status_code for answer in answers} == {200}


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
    limited: Any,
) -> None:
    app, _ = limited(requests_per_address=1, trusted_proxies="10.0.0.0/8")
    async with caller(app, "10.0.0.2") as proxy:
        first = await proxy.post("/graphql", json=ME, headers={"X-Forwarded-For": "203.0.113.7"})
        second = await proxy.post("/graphql", json=ME, headers={"X-Forwarded-For": "203.0.113.8"})
        again = await proxy.post(
            "/graphql", json=ME, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
        )

    assert [first.status_code, second.status_code, again.status_code] == [200, 200, 429]


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(limited: Any) -> None:
    app, _ = limited(requests_per_address=1)
    async with caller(app, "203.0.113.7") as http:
        await http.post("/graphql", json=ME, headers={"X-Forwarded-For": "198.51.100.1"})
        spoofed = await http.post("/graphql", json=ME, headers={"X-Forwarded-For": "198.51.100.2"})

    assert spoofed.status_code == 429


async def test_a_sign_in_flood_from_one_address_is_refused_while_another_signs_in(
    limited: Any, staff: Staff
) -> None:
    app, runtime = limited(sign_ins_per_address=3)
    await staff.user("clerk", Role.AUDITOR)
    async with caller(app, "203.0.113.66") as attacker, caller(app, "203.0.113.7") as clerk:
        guesses = [await login(attacker, "clerk", f"guess {n}") for n in range(3)]
        before = await row_counts(runtime)

        refused = await login(attacker, "clerk", PASSWORD)
        after = await row_counts(runtime)
        signed_in = await login(clerk, "clerk", PASSWORD)

    assert [g.json()["data"]["login"]["errors"] for g in guesses] == [
        [{"code": "INVALID_CREDENTIALS"}]
    ] * 3
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert error_code(refused) == "RATE_LIMITED"
    assert "token" not in refused.text
    assert after == before
    assert signed_in.status_code == 200
    assert signed_in.json()["data"]["login"]["token"]


async def test_each_aliased_sign_in_spends_the_budget(limited: Any, staff: Staff) -> None:
    app, runtime = limited(sign_ins_per_address=3)
    await staff.user("clerk", Role.AUDITOR)
    attempts = " ".join(
        f'a{n}: login(input: {{username: "clerk", password: "guess {n}"}}) {{ token }}'
        for n in range(4)
    )
    before = await row_counts(runtime)

    async with caller(app) as http:
        response = await http.post("/graphql", json={"query": f"mutation {{ {attempts} }}"})

    assert response.status_code == 429
    assert error_code(response) == "RATE_LIMITED"
    assert await row_counts(runtime) == before


async def test_the_sign_in_budget_recovers_after_the_window(
    limited: Any, staff: Staff, clock: Clock
) -> None:
    app, _ = limited(sign_ins_per_address=1)
    await staff.user("clerk", Role.AUDITOR)
    async with caller(app) as http:
        await login(http, "clerk", "wrong")
        assert (await login(http, "clerk", PASSWORD)).status_code == 429

        clock.advance(60)
        response = await login(http, "clerk", PASSWORD)

    assert response.json()["data"]["login"]["token"]


async def test_queries_do_not_spend_the_sign_in_budget(limited: Any) -> None:
    app, _ = limited(sign_ins_per_address=1)
    async with caller(app) as http:
        answers = [await http.post("/graphql", json=ME) for _ in range(3)]

    assert {answer.status_code for answer in answers} == {200}


async def bearer(http: Any, username: str) -> dict[str, str]:
    token = (await login(http, username, PASSWORD)).json()["data"]["login"]["token"]
    return {"Authorization": f"Bearer {token}"}


async def test_a_signed_in_user_over_their_budget_is_refused_while_a_colleague_is_not(
    limited: Any, staff: Staff
) -> None:
    app, _ = limited(requests_per_user=2)
    await staff.user("clerk", Role.AUDITOR)
    await staff.user("teller", Role.AUDITOR)
    async with caller(app) as http:
        clerk = await bearer(http, "clerk")
        teller = await bearer(http, "teller")
        answers = [await http.post("/graphql", json=ME, headers=clerk) for _ in range(3)]
        colleague = await http.post("/graphql", json=ME, headers=teller)

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[-1].headers["retry-after"] == "30"
    assert error_code(answers[-1]) == "RATE_LIMITED"
    assert "clerk" not in answers[-1].text
    assert colleague.json() == {"data": {"me": {"username": "teller"}}}


async def test_the_default_budgets_are_strict(clean_environment: Any) -> None:
    settings = load_settings()

    assert settings.rate_limit_window_seconds == 60
    assert settings.sign_ins_per_address == 10
    assert settings.requests_per_user <= settings.requests_per_address <= 600
