"""Staff accounts after they are made: one's own password changed, an
administrator's reset forcing a change at the next sign-in, accounts disabled
and enabled, signing out everywhere, and sessions that end when left idle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.authorization import Role
from core.columns import utcnow
from core.db import Mode
from plugins.security.models import SignInSession
from plugins.security.passwords import password_problem
from tests.conftest import PASSWORD, GraphQLClient
from tests.plugins.customer.conftest import Bank

ME = "{ me { username mustChangePassword isActive } }"
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
CHANGE = """
mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    user { username mustChangePassword } errors { code field }
  }
}
"""
RESET = """
mutation($user: ID!, $password: String!) {
  resetUserPassword(input: {userId: $user, temporaryPassword: $password}) {
    user { username mustChangePassword } errors { code field }
  }
}
"""
DISABLE = """
mutation($user: ID!) { disableUser(input: {userId: $user}) { user { isActive } errors { code } } }
"""
ENABLE = """
mutation($user: ID!) { enableUser(input: {userId: $user}) { user { isActive } errors { code } } }
"""
EVERYWHERE = "mutation { logoutEverywhere { errors { code } } }"
SET_ROLES = """
mutation($user: ID!, $roles: [Role!]!) {
  setUserRoles(input: {userId: $user, roles: $roles}) { user { roles } errors { code } }
}
"""
RENAME = """
mutation {
  renameBranch(input: {code: "bj-001", name: "北京分行营业部"}) { branch { name } errors { code } }
}
"""
AUDIT = "{ auditRecords(first: 1) { totalCount } }"
NEW_PASSWORD = "a long new passphrase 42"
TEMPORARY = "temporary passphrase 7"


def codes(body: dict, name: str) -> list[str]:
    return [error["code"] for error in body[name]["errors"]]


def refusal(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def signed_in(bank: Bank, username: str, password: str = PASSWORD) -> GraphQLClient:
    """A new session of ``username`` (``bank.sign_in`` keeps one per user)."""
    return await bank.client.sign_in(username, password)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8"),
        ("bj.rm-secret-1", "must not contain the username"),
        ("Password123", "most common"),
        ("woaini1314", "most common"),
        ("a good long passphrase", None),
    ],
)
def test_password_rules(password: str, problem: str | None):
    found = password_problem(password, "bj.rm")

    assert (found is None) if problem is None else (problem in found)


async def test_changing_one_s_password_ends_one_s_other_sessions(bank: Bank):
    here, elsewhere = await signed_in(bank, "bj.rm"), await signed_in(bank, "bj.rm")

    wrong = await here.data(CHANGE, {"current": "not it at all", "new": NEW_PASSWORD})
    weak = await here.data(CHANGE, {"current": PASSWORD, "new": "bj.rm.2026!"})
    done = await here.data(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD})

    assert codes(wrong, "changePassword") == ["WRONG_PASSWORD"]
    assert codes(weak, "changePassword") == ["WEAK_PASSWORD"]
    assert codes(done, "changePassword") == []
    assert (await here.data(ME))["me"]["username"] == "bj.rm"
    assert (await elsewhere.data(ME))["me"] is None
    assert (await signed_in(bank, "bj.rm", NEW_PASSWORD)).token


async def test_a_reset_password_allows_nothing_but_changing_it(bank: Bank):
    before = await signed_in(bank, "bj.rm")
    admin = await bank.sign_in("admin")

    reset = await admin.data(RESET, {"user": bank.user("bj.rm"), "password": TEMPORARY})

    assert reset["resetUserPassword"]["user"] == {"username": "bj.rm", "mustChangePassword": True}
    assert (await before.data(ME))["me"] is None, "the reset ended the user's sessions"
    rm = await signed_in(bank, "bj.rm", TEMPORARY)
    assert refusal(await rm.execute(CUSTOMERS)) == "PASSWORD_CHANGE_REQUIRED"
    changed = await rm.data(CHANGE, {"current": TEMPORARY, "new": NEW_PASSWORD})
    assert changed["changePassword"]["user"]["mustChangePassword"] is False
    assert (await rm.data(CUSTOMERS))["customers"]["totalCount"] == 0


async def test_a_branch_administrator_manages_only_their_branch_s_staff(bank: Bank):
    await bank.add_staff("bj.admin", Role.ADMIN, branch="BJ-001")
    branch_admin = await bank.sign_in("bj.admin")

    theirs = await branch_admin.data(RESET, {"user": bank.user("bj.teller"), "password": TEMPORARY})
    other = await branch_admin.data(RESET, {"user": bank.user("sh.teller"), "password": TEMPORARY})

    assert codes(theirs, "resetUserPassword") == []
    assert codes(other, "resetUserPassword") == ["NOT_FOUND"]
    assert (await signed_in(bank, "sh.teller")).token, "the other branch's password is unchanged"


async def test_a_disabled_account_is_signed_out_and_cannot_sign_in_until_enabled(bank: Bank):
    teller = await signed_in(bank, "bj.teller")
    admin = await bank.sign_in("admin")

    disabled = await admin.data(DISABLE, {"user": bank.user("bj.teller")})
    login = await bank.client.data(
        'mutation { login(input: {username: "bj.teller", password: "correct horse battery"})'
        " { token errors { code } } }"
    )
    enabled = await admin.data(ENABLE, {"user": bank.user("bj.teller")})

    assert disabled["disableUser"]["user"] == {"isActive": False}
    assert (await teller.data(ME))["me"] is None
    assert codes(login, "login") == ["INVALID_CREDENTIALS"]
    assert enabled["enableUser"]["user"] == {"isActive": True}
    assert (await signed_in(bank, "bj.teller")).token


async def test_nobody_disables_themselves(bank: Bank):
    admin = await bank.sign_in("admin")

    body = await admin.data(DISABLE, {"user": bank.user("admin")})

    assert codes(body, "disableUser") == ["CANNOT_DISABLE_YOURSELF"]


async def test_signing_out_everywhere_ends_every_session(bank: Bank):
    first, second = await signed_in(bank, "bj.rm"), await signed_in(bank, "bj.rm")

    await first.data(EVERYWHERE)

    assert (await first.data(ME))["me"] is None
    assert (await second.data(ME))["me"] is None


async def age_sessions(bank: Bank, idle: timedelta) -> None:
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(SignInSession).values(last_seen_at=utcnow() - idle))


async def test_a_session_left_idle_ends(bank: Bank):
    rm = await signed_in(bank, "bj.rm")
    idle = timedelta(minutes=bank.runtime.settings.session_idle_minutes, seconds=1)

    await age_sessions(bank, idle)

    assert (await rm.data(ME))["me"] is None


async def test_a_session_in_use_is_kept_alive(bank: Bank):
    rm = await signed_in(bank, "bj.rm")
    almost = timedelta(minutes=bank.runtime.settings.session_idle_minutes - 1)
    await age_sessions(bank, almost)

    assert (await rm.data(ME))["me"]["username"] == "bj.rm"  # seen now: the clock restarts
    await age_sessions(bank, timedelta(0))
    assert (await rm.data(ME))["me"]["username"] == "bj.rm"


async def test_an_administrator_changes_a_user_s_roles_which_apply_at_once(bank: Bank):
    teller = await bank.sign_in("bj.teller")
    admin = await bank.sign_in("admin")
    assert (
        refusal(await teller.execute(CUSTOMERS.replace("customers", "auditRecords"))) == "FORBIDDEN"
    )

    body = await admin.data(
        SET_ROLES, {"user": bank.user("bj.teller"), "roles": ["AUDITOR", "TELLER"]}
    )
    headless = await admin.data(SET_ROLES, {"user": bank.user("admin"), "roles": ["AUDITOR"]})
    none = await admin.data(SET_ROLES, {"user": bank.user("bj.teller"), "roles": []})

    assert body["setUserRoles"]["user"] == {"roles": ["AUDITOR", "TELLER"]}
    assert "errors" not in await teller.execute(AUDIT)
    assert codes(headless, "setUserRoles") == ["CANNOT_DEMOTE_YOURSELF"]
    assert codes(none, "setUserRoles") == ["INVALID_ROLES"]


async def test_a_branch_is_renamed(bank: Bank):
    admin = await bank.sign_in("admin")

    body = await admin.data(RENAME)

    assert body["renameBranch"]["branch"] == {"name": "北京分行营业部"}
