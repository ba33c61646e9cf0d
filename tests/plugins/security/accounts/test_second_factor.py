"""Sign-in codes from an authenticator app (TOTP): enrolled in two steps,
asked for at every sign-in once on, never accepted twice, kept encrypted, and
turned off by the user (with their password) or by an administrator's reset."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from sqlalchemy import select

from core.db import Mode
from plugins.security.models import User
from tests.conftest import PASSWORD, GraphQLClient
from tests.plugins.customer.conftest import Bank

ENROL = "mutation { enrolSecondFactor { enrolment { secret uri } errors { code } } }"
CONFIRM = """
mutation($code: String!) {
  confirmSecondFactor(input: {code: $code}) { user { hasSecondFactor } errors { code } }
}
"""
TURN_OFF = """
mutation($password: String!) {
  turnOffSecondFactor(input: {password: $password}) { user { hasSecondFactor } errors { code } }
}
"""
LOGIN = """
mutation($code: String) {
  login(input: {username: "bj.rm", password: "correct horse battery", totpCode: $code}) {
    token errors { code }
  }
}
"""
RESET = """
mutation($user: ID!) {
  resetUserPassword(input: {userId: $user, temporaryPassword: "temporary passphrase 7"}) {
    user { hasSecondFactor } errors { code }
  }
}
"""


def codes(body: dict[str, Any], name: str) -> list[str]:
    return [error["code"] for error in body[name]["errors"]]


def code_in(secret: str, steps: int) -> str:
    """The app's code ``steps`` time steps from now (one either side is accepted)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


async def enrolled(bank: Bank) -> str:
    """Turn the second factor on for bj.rm; its secret."""
    rm = await bank.sign_in("bj.rm")
    enrolment = (await rm.data(ENROL))["enrolSecondFactor"]["enrolment"]
    assert enrolment["uri"].startswith("otpauth://totp/Bank%20CRM:bj.rm?secret=")
    confirmed = await rm.data(CONFIRM, {"code": code_in(enrolment["secret"], 0)})
    assert confirmed["confirmSecondFactor"]["user"] == {"hasSecondFactor": True}
    return enrolment["secret"]


async def test_a_wrong_first_code_leaves_the_second_factor_off(bank: Bank):
    rm = await bank.sign_in("bj.rm")
    await rm.data(ENROL)

    body = await rm.data(CONFIRM, {"code": "000000"})

    assert codes(body, "confirmSecondFactor") == ["INVALID_TOTP_CODE"]
    assert (await bank.client.data(LOGIN))["login"]["token"]


async def test_once_on_every_sign_in_needs_a_fresh_code(bank: Bank, client: GraphQLClient):
    secret = await enrolled(bank)
    fresh = code_in(secret, 1)

    missing = await client.data(LOGIN)
    wrong = await client.data(LOGIN, {"code": "123456" if fresh != "123456" else "654321"})
    right = await client.data(LOGIN, {"code": fresh})
    replayed = await client.data(LOGIN, {"code": fresh})

    assert (codes(missing, "login"), missing["login"]["token"]) == (["TOTP_REQUIRED"], None)
    assert codes(wrong, "login") == ["INVALID_TOTP_CODE"]
    assert codes(right, "login") == []
    assert right["login"]["token"]
    assert codes(replayed, "login") == ["INVALID_TOTP_CODE"], "a code works once"


async def test_the_secret_is_kept_encrypted(bank: Bank):
    secret = await enrolled(bank)

    async with bank.runtime.database.transaction(Mode.READ) as session:
        stored = await session.scalar(select(User.totp_secret).where(User.username == "bj.rm"))

    assert stored
    assert secret not in stored


async def test_turning_it_off_takes_the_password(bank: Bank):
    await enrolled(bank)
    rm = await bank.sign_in("bj.rm")

    wrong = await rm.data(TURN_OFF, {"password": "not my password"})
    right = await rm.data(TURN_OFF, {"password": PASSWORD})

    assert codes(wrong, "turnOffSecondFactor") == ["WRONG_PASSWORD"]
    assert right["turnOffSecondFactor"]["user"] == {"hasSecondFactor": False}
    assert (await bank.client.data(LOGIN))["login"]["token"]


async def test_an_administrator_s_reset_turns_it_off_for_a_lost_phone(bank: Bank):
    await enrolled(bank)
    admin = await bank.sign_in("admin")

    body = await admin.data(RESET, {"user": bank.user("bj.rm")})

    assert body["resetUserPassword"]["user"] == {"hasSecondFactor": False}
