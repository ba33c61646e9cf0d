"""Loans through the API: application, four eyes, disbursement, repayment.

Every refusal comes back in the payload's ``errors`` with a stable code and
changes nothing: no loan recorded, no status moved, no journal entry posted.
Unless a test says otherwise the business date is 2026-01-15, so a 12-month
loan of 100,000.00 at 4.35 % (the standard consumer loan) is repaid 8,530.99
a month from 2026-02-15 (8,168.49 principal and 362.50 interest the first).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.loans.models import Loan
from plugins.finance.models import Account, InternalAccount
from plugins.finance.settings import finance_settings
from tests.plugins.customer.conftest import BJ, SH, credit_code, error_codes, global_id
from tests.plugins.finance.conftest import CLOSE_ACCOUNT, Books, codes, global_id_of

LOAN_FIELDS = """
  id loanNo status principal { amount currency } annualInterestRate termMonths
  repaymentMethod outstandingPrincipal { amount } daysPastDue overdueAmount { amount }
  penaltyInterestRate decidedAt decisionComment disbursedOn paidOffOn
  schedule {
    number dueDate principal { amount } interest { amount } total { amount }
    paid paidAmount { amount }
  }
"""
APPLY = f"""
mutation($input: ApplyForLoanInput!) {{
  applyForLoan(input: $input) {{ loan {{ {LOAN_FIELDS} }} errors {{ field message code }} }}
}}
"""
DECIDE = f"""
mutation($input: DecideLoanInput!) {{
  decideLoan(input: $input) {{ loan {{ {LOAN_FIELDS} }} errors {{ field message code }} }}
}}
"""
DISBURSE = f"""
mutation($input: DisburseLoanInput!) {{
  disburseLoan(input: $input) {{ loan {{ {LOAN_FIELDS} }} errors {{ field message code }} }}
}}
"""
REPAY = f"""
mutation($input: RepayLoanInput!) {{
  repayLoan(input: $input) {{ loan {{ {LOAN_FIELDS} }} errors {{ field message code }} }}
}}
"""
LOAN = f"query($id: ID!) {{ loan(id: $id) {{ {LOAN_FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Loan { loanNo } } }"
CUSTOMER_LOANS = "query($id: ID!) { customer(id: $id) { loans { loanNo status } } }"
HISTORY = """
query($id: ID!) {
  account(id: $id) {
    transactions { edges { node { kind direction amount { amount } } } }
  }
}
"""

OPENED = date(2026, 1, 15)
PAYMENT = Decimal("8530.99")
FIRST_PRINCIPAL = Decimal("8168.49")
FIRST_INTEREST = Decimal("362.50")
SECOND_INTEREST = Decimal("332.89")
ZERO = Decimal("0.00")


@pytest.fixture(autouse=True)
async def business_date(books: Books) -> None:
    await books.open_business_date(OPENED)


@pytest.fixture
def finance_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set ``CRM_*`` finance settings for one test (they are read once and cached)."""
    finance_settings.cache_clear()
    yield monkeypatch
    finance_settings.cache_clear()  # read again, from the restored environment


# ---------------------------------------------------------------- helpers


async def call(books: Books, by: str, mutation: str, name: str, **input: Any) -> dict[str, Any]:
    caller = await books.bank.sign_in(by)
    return (await caller.data(mutation, {"input": input}))[name]


async def call_as(books: Books, by: str, mutation: str, **input: Any) -> dict[str, Any]:
    """The whole response body, for refusals in the GraphQL ``errors``."""
    caller = await books.bank.sign_in(by)
    return await caller.execute(mutation, {"input": input})


async def borrower(books: Books, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new customer (of BJ-001 unless said) and an empty CNY demand account of theirs."""
    customer = await books.customer(**changes)
    return customer, await books.open(customer)


def application(
    customer: dict[str, Any],
    account: dict[str, Any],
    principal: str = "100000.00",
    term: int = 12,
    method: str = "EQUAL_INSTALLMENT",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "customerId": customer["id"],
        "principal": principal,
        "termMonths": term,
        "repaymentMethod": method,
        "accountId": account["id"],
    } | extra


async def apply(
    books: Books, customer: dict[str, Any], account: dict[str, Any], by: str = "admin", **terms: Any
) -> dict[str, Any]:
    """The ``applyForLoan`` payload."""
    return await call(books, by, APPLY, "applyForLoan", **application(customer, account, **terms))


async def applied(books: Books, by: str = "admin", **terms: Any) -> dict[str, Any]:
    """A new borrower's loan application (fails the test on errors)."""
    customer, account = await borrower(books)
    payload = await apply(books, customer, account, by, **terms)
    assert payload["errors"] == [], payload["errors"]
    return payload["loan"] | {"account": account, "customer": customer}


async def decide(
    books: Books,
    loan: dict[str, Any],
    by: str = "bj.manager",
    approve: bool = True,
    comment: str | None = None,
) -> dict[str, Any]:
    return await call(
        books, by, DECIDE, "decideLoan", loanId=loan["id"], approve=approve, comment=comment
    )


async def approved(books: Books, **terms: Any) -> dict[str, Any]:
    loan = await applied(books, **terms)
    payload = await decide(books, loan)
    assert payload["errors"] == [], payload["errors"]
    return loan


async def disburse(
    books: Books, loan: dict[str, Any], by: str = "bj.manager", key: str | None = None
) -> dict[str, Any]:
    return await call(
        books, by, DISBURSE, "disburseLoan", loanId=loan["id"], idempotencyKey=key or books.key()
    )


async def active(books: Books, **terms: Any) -> dict[str, Any]:
    """A loan applied for by head office, approved by bj.manager and paid out."""
    loan = await approved(books, **terms)
    payload = await disburse(books, loan)
    assert payload["errors"] == [], payload["errors"]
    return loan


async def repay(
    books: Books,
    loan: dict[str, Any],
    amount: str | Decimal,
    by: str = "bj.teller",
    key: str | None = None,
) -> dict[str, Any]:
    return await call(
        books,
        by,
        REPAY,
        "repayLoan",
        loanId=loan["id"],
        amount=str(amount),
        idempotencyKey=key or books.key(),
    )


async def fetch(books: Books, loan: dict[str, Any], by: str = "admin") -> dict[str, Any] | None:
    """``loan(id)`` as ``by`` sees it: null out of scope."""
    caller = await books.bank.sign_in(by)
    return (await caller.data(LOAN, {"id": loan["id"]}))["loan"]


async def seen(books: Books, loan: dict[str, Any]) -> dict[str, Any]:
    """The loan as head office sees it now."""
    found = await fetch(books, loan)
    assert found is not None
    return found


async def row(books: Books, loan: dict[str, Any]) -> Loan:
    async with books.runtime.database.transaction(Mode.READ) as session:
        return await session.get_one(Loan, int(global_id_of(loan)))


async def loans(books: Books) -> int:
    return await books.bank.count(Loan)


async def internal(books: Books, code: InternalAccount) -> Decimal:
    """The balance of the bank's own ``code`` account in CNY (0 before it is opened)."""
    async with books.runtime.database.transaction(Mode.READ) as session:
        balance = await session.scalar(
            select(Account.balance).where(Account.internal == code, Account.currency == "CNY")
        )
    return balance if balance is not None else ZERO


def amounts(loan: dict[str, Any], part: str) -> list[Decimal]:
    return [Decimal(i[part]["amount"]) for i in loan["schedule"]]


def paid(loan: dict[str, Any]) -> list[bool]:
    return [i["paid"] for i in loan["schedule"]]


def outstanding(loan: dict[str, Any]) -> Decimal:
    return Decimal(loan["outstandingPrincipal"]["amount"])


# ---------------------------------------------------------------- the whole life


async def test_a_loan_goes_from_application_to_paid_off(books: Books):
    await books.open_business_date(date(2026, 1, 31))
    customer = await books.customer()
    await books.bank.assign(customer, "bj.rm")
    account = await books.open(customer)

    applied = await call(
        books,
        "bj.rm",
        APPLY,
        "applyForLoan",
        customerId=customer["id"],
        principal="100000.00",
        termMonths=12,
        repaymentMethod="EQUAL_INSTALLMENT",
        accountId=account["id"],
    )
    assert applied["errors"] == []
    loan = applied["loan"]
    assert loan["status"] == "PENDING_APPROVAL"
    assert loan["schedule"][0]["total"] == {"amount": "8530.99"}

    decided = await call(
        books, "bj.manager", DECIDE, "decideLoan", loanId=loan["id"], approve=True, comment="OK"
    )
    assert decided["errors"] == []
    assert decided["loan"]["status"] == "APPROVED"

    paid_out = await call(
        books, "bj.manager", DISBURSE, "disburseLoan", loanId=loan["id"], idempotencyKey="d-1"
    )
    assert paid_out["errors"] == []
    assert paid_out["loan"]["status"] == "ACTIVE"
    assert paid_out["loan"]["schedule"][0]["dueDate"] == "2026-02-28"
    assert await books.balance(account) == Decimal("100000.00")

    repaid = await call(
        books,
        "bj.teller",
        REPAY,
        "repayLoan",
        loanId=loan["id"],
        amount="100000.00",
        idempotencyKey="r-1",
    )
    assert repaid["errors"] == []
    assert repaid["loan"]["status"] == "PAID_OFF"
    assert await books.balance(account) == Decimal("0.00")
    assert (await books.ledger()).ok


# ---------------------------------------------------------------- application


async def test_a_relationship_manager_applies_for_a_customer_in_his_portfolio(books: Books):
    customer, account = await borrower(books)
    await books.bank.assign(customer, "bj.rm")
    before = await books.entries()

    payload = await apply(books, customer, account, "bj.rm", principal="50000.00", term=24)

    assert payload["errors"] == []
    loan = payload["loan"]
    assert loan["status"] == "PENDING_APPROVAL"
    assert loan["loanNo"].startswith("L")
    assert loan["principal"] == {"amount": "50000.00", "currency": "CNY"}
    assert Decimal(loan["annualInterestRate"]) == Decimal("4.35")  # the standard consumer loan
    assert Decimal(loan["penaltyInterestRate"]) == Decimal("6.525")  # 1.5 × the rate
    assert loan["termMonths"] == 24
    assert loan["repaymentMethod"] == "EQUAL_INSTALLMENT"
    assert outstanding(loan) == Decimal("50000.00")
    assert (loan["decidedAt"], loan["disbursedOn"], loan["paidOffOn"]) == (None, None, None)
    assert await books.entries() == before  # nothing is paid out before a decision
    assert await books.balance(account) == ZERO


async def test_a_branch_manager_applies_for_a_customer_of_his_branch(books: Books):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, "bj.manager")

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "PENDING_APPROVAL"
    assert (await row(books, payload["loan"])).applied_by == books.bank.user_ids["bj.manager"]


@pytest.mark.parametrize(
    ("applicant", "branch"),
    [
        ("bj.rm", BJ),  # of his branch, but not his customer
        ("bj.manager", SH),
        ("sh.manager", BJ),
    ],
)
async def test_a_customer_out_of_scope_is_refused_exactly_like_a_missing_one(
    books: Books, applicant: str, branch: str
):
    customer, account = await borrower(books, branchCode=branch)
    missing = {"id": global_id("Customer", 999_999)}

    out_of_scope = await apply(books, customer, account, applicant)
    nobody = await apply(books, missing, account, applicant)

    assert codes(out_of_scope) == ["NOT_FOUND"]
    assert out_of_scope["errors"] == nobody["errors"]
    assert out_of_scope["errors"][0]["field"] == ["input", "customerId"]
    assert out_of_scope["loan"] is None
    assert await loans(books) == 0


async def test_an_unknown_product_is_refused(books: Books):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, productCode="PERSONAL-YACHT")

    assert codes(payload) == ["PRODUCT_NOT_FOUND"]
    assert payload["errors"][0]["field"] == ["input", "productCode"]
    assert await loans(books) == 0


async def test_a_corporate_product_is_refused_for_a_person(books: Books):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, productCode="CORPORATE-WORKING-CAPITAL")

    assert codes(payload) == ["PRODUCT_KIND_MISMATCH"]
    assert payload["errors"][0]["field"] == ["input", "productCode"]
    assert await loans(books) == 0


async def test_a_personal_product_is_refused_for_a_company(books: Books):
    company, account = await borrower(books, kind="CORPORATE", idNumber=credit_code(7))

    payload = await apply(books, company, account, productCode="PERSONAL-CONSUMER")

    assert codes(payload) == ["PRODUCT_KIND_MISMATCH"]


async def test_a_company_borrows_on_the_corporate_standard_product_by_default(books: Books):
    company, account = await borrower(books, kind="CORPORATE", idNumber=credit_code(8))

    payload = await apply(books, company, account, principal="2000000.00", term=36)

    assert payload["errors"] == []
    assert Decimal(payload["loan"]["annualInterestRate"]) == Decimal("3.45")


async def test_a_named_product_sets_the_rate_and_limits(books: Books):
    customer, account = await borrower(books)

    payload = await apply(
        books,
        customer,
        account,
        productCode=" personal-mortgage ",
        principal="3000000.00",
        term=360,
    )

    assert payload["errors"] == []
    assert Decimal(payload["loan"]["annualInterestRate"]) == Decimal("3.1")
    assert len(payload["loan"]["schedule"]) == 360


@pytest.mark.parametrize("principal", ["9999.99", "1000000.01"])
async def test_an_amount_outside_the_product_s_range_is_refused(books: Books, principal: str):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, principal=principal)

    assert codes(payload) == ["AMOUNT_OUT_OF_RANGE"]
    assert payload["errors"][0]["field"] == ["input", "principal"]
    assert await loans(books) == 0


@pytest.mark.parametrize("principal", ["10000.00", "1000000.00"])
async def test_the_product_s_smallest_and_largest_amounts_are_lent(books: Books, principal: str):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, principal=principal)

    assert payload["errors"] == []


@pytest.mark.parametrize("term", [5, 61, 0, -12])
async def test_a_term_outside_the_product_s_range_is_refused(books: Books, term: int):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, term=term)

    assert codes(payload) == ["INVALID_TERM"]
    assert payload["errors"][0]["field"] == ["input", "termMonths"]
    assert await loans(books) == 0


@pytest.mark.parametrize("term", [6, 60])
async def test_the_product_s_shortest_and_longest_terms_are_lent(books: Books, term: int):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, term=term)

    assert payload["errors"] == []
    assert len(payload["loan"]["schedule"]) == term


@pytest.mark.parametrize("principal", ["0", "-50000.00", "50000.001", "NaN"])
async def test_an_amount_that_is_not_money_is_refused(books: Books, principal: str):
    customer, account = await borrower(books)

    payload = await apply(books, customer, account, principal=principal)

    assert codes(payload) == ["INVALID_AMOUNT"]
    assert payload["errors"][0]["field"] == ["input", "principal"]
    assert await loans(books) == 0


async def test_another_customer_s_account_is_refused(books: Books):
    customer, _ = await borrower(books)
    _, someone_else_s = await borrower(books)

    payload = await apply(books, customer, someone_else_s)

    assert codes(payload) == ["ACCOUNT_NOT_FOUND"]
    assert payload["errors"][0]["field"] == ["input", "accountId"]
    assert await loans(books) == 0


async def test_an_account_outside_the_applicant_s_scope_is_refused_like_a_missing_one(
    books: Books,
):
    customer, _ = await borrower(books)
    await books.bank.assign(customer, "bj.rm")
    _, unmanaged = await borrower(books)

    payload = await apply(books, customer, unmanaged, "bj.rm")
    missing = await apply(books, customer, {"id": global_id("Account", 999_999)}, "bj.rm")

    assert codes(payload) == ["ACCOUNT_NOT_FOUND"]
    assert payload["errors"] == missing["errors"]


async def test_a_fixed_deposit_cannot_take_a_loan(books: Books):
    customer = await books.customer()
    funding = await books.account_with("5000.00", customer)
    fixed = await books.open(
        customer,
        kind="FIXED",
        termMonths=12,
        principal="5000.00",
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )

    payload = await apply(books, customer, fixed)

    assert codes(payload) == ["INVALID_LOAN_ACCOUNT"]
    assert payload["errors"][0]["field"] == ["input", "accountId"]
    assert await loans(books) == 0


async def test_a_yuan_loan_cannot_go_into_a_dollar_account(books: Books):
    customer = await books.customer()
    dollars = await books.open(customer, currency="USD")

    payload = await apply(books, customer, dollars)

    assert codes(payload) == ["INVALID_LOAN_ACCOUNT"]
    assert await loans(books) == 0


async def test_a_closed_account_cannot_take_a_loan(books: Books):
    customer, account = await borrower(books)
    admin = await books.bank.sign_in("admin")
    closed = await admin.data(CLOSE_ACCOUNT, {"input": {"accountId": account["id"]}})
    assert closed["closeAccount"]["errors"] == []

    payload = await apply(books, customer, account)

    assert codes(payload) == ["INVALID_LOAN_ACCOUNT"]


@pytest.mark.parametrize("username", ["bj.teller", "bj.agent", "auditor", "marketing"])
async def test_staff_without_loan_apply_cannot_apply(books: Books, username: str):
    customer, account = await borrower(books)

    body = await call_as(books, username, APPLY, **application(customer, account))

    assert error_codes(body) == ["FORBIDDEN"]
    assert await loans(books) == 0


async def test_the_schedule_is_visible_right_after_application(books: Books):
    customer, account = await borrower(books)

    loan = (await apply(books, customer, account))["loan"]

    assert [i["number"] for i in loan["schedule"]] == list(range(1, 13))
    assert [i["dueDate"] for i in loan["schedule"][:3]] == [
        "2026-02-15",
        "2026-03-15",
        "2026-04-15",
    ]
    assert loan["schedule"][-1]["dueDate"] == "2027-01-15"
    assert amounts(loan, "total") == [PAYMENT] * 11 + [Decimal("8531.01")]
    assert amounts(loan, "interest")[:2] == [FIRST_INTEREST, SECOND_INTEREST]
    assert sum(amounts(loan, "principal")) == Decimal("100000.00")
    assert paid(loan) == [False] * 12
    assert (loan["daysPastDue"], loan["overdueAmount"]) == (0, {"amount": "0.00"})


async def test_an_equal_principal_schedule_is_shown_as_applied_for(books: Books):
    customer, account = await borrower(books)

    loan = (await apply(books, customer, account, method="EQUAL_PRINCIPAL"))["loan"]

    assert loan["repaymentMethod"] == "EQUAL_PRINCIPAL"
    assert amounts(loan, "principal") == [Decimal("8333.33")] * 11 + [Decimal("8333.37")]
    assert amounts(loan, "interest")[:2] == [FIRST_INTEREST, Decimal("332.29")]


async def test_a_schedule_not_yet_paid_out_runs_from_the_current_business_date(books: Books):
    loan = await applied(books)

    await books.open_business_date(date(2026, 3, 31))

    shown = await seen(books, loan)
    assert [i["dueDate"] for i in shown["schedule"][:2]] == ["2026-04-30", "2026-05-31"]


# ---------------------------------------------------------------- the decision


async def test_a_branch_manager_approves_his_relationship_manager_s_application(books: Books):
    customer, account = await borrower(books)
    await books.bank.assign(customer, "bj.rm")
    loan = (await apply(books, customer, account, "bj.rm"))["loan"] | {"account": account}

    payload = await decide(books, loan)

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "APPROVED"
    assert await books.balance(loan["account"]) == ZERO  # approving pays nothing out


async def test_whoever_applied_may_not_decide(books: Books):
    customer = await books.customer()
    account = await books.open(customer)
    applied = await call(
        books,
        "bj.manager",
        APPLY,
        "applyForLoan",
        customerId=customer["id"],
        principal="50000.00",
        termMonths=12,
        repaymentMethod="EQUAL_PRINCIPAL",
        accountId=account["id"],
    )

    own = await call(
        books, "bj.manager", DECIDE, "decideLoan", loanId=applied["loan"]["id"], approve=True
    )

    assert codes(own) == ["FOUR_EYES"]
    assert own["errors"][0]["field"] == ["input", "loanId"]
    assert (await seen(books, applied["loan"]))["status"] == "PENDING_APPROVAL"


async def test_whoever_applied_may_not_reject_either(books: Books):
    loan = await applied(books, "bj.manager")

    own = await decide(books, loan, "bj.manager", approve=False)

    assert codes(own) == ["FOUR_EYES"]


async def test_not_even_head_office_may_decide_its_own_application(books: Books):
    loan = await applied(books, "admin")

    own = await decide(books, loan, "admin")

    assert codes(own) == ["FOUR_EYES"]
    assert (await row(books, loan)).status == "PENDING_APPROVAL"


async def test_a_branch_manager_approves_up_to_one_million(books: Books):
    loan = await applied(books, productCode="PERSONAL-MORTGAGE", principal="1000000.00", term=120)

    payload = await decide(books, loan)

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "APPROVED"


async def test_a_branch_manager_may_not_approve_above_one_million(books: Books):
    loan = await applied(books, productCode="PERSONAL-MORTGAGE", principal="1000000.01", term=120)

    payload = await decide(books, loan)

    assert codes(payload) == ["ABOVE_APPROVAL_LIMIT"]
    assert payload["errors"][0]["field"] == ["input", "approve"]
    stored = await row(books, loan)
    assert (stored.status, stored.decided_by, stored.decided_at) == ("PENDING_APPROVAL", None, None)


async def test_head_office_approves_any_amount(books: Books):
    loan = await applied(
        books, "bj.manager", productCode="PERSONAL-MORTGAGE", principal="10000000.00", term=360
    )

    payload = await decide(books, loan, "admin")

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "APPROVED"


async def test_the_branch_approval_limit_is_configurable(
    books: Books, finance_env: pytest.MonkeyPatch
):
    finance_env.setenv("CRM_LOAN_BRANCH_APPROVAL_LIMIT", "50000")
    within = await applied(books, principal="50000.00")
    above = await applied(books, principal="50000.01")

    assert (await decide(books, within))["errors"] == []
    refused = await decide(books, above)
    assert codes(refused) == ["ABOVE_APPROVAL_LIMIT"]
    assert "50,000" in refused["errors"][0]["message"]


async def test_the_penalty_rate_follows_the_configured_factor(
    books: Books, finance_env: pytest.MonkeyPatch
):
    finance_env.setenv("CRM_LOAN_PENALTY_FACTOR", "2")

    loan = await applied(books)

    assert Decimal(loan["penaltyInterestRate"]) == Decimal("8.7")


async def test_a_branch_manager_may_reject_above_his_limit(books: Books):
    loan = await applied(books, productCode="PERSONAL-MORTGAGE", principal="5000000.00", term=360)

    payload = await decide(books, loan, approve=False, comment="负债率过高")

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "REJECTED"


async def test_an_approval_keeps_who_when_and_why(books: Books):
    loan = await applied(books)
    before = datetime.now(UTC)

    payload = await decide(books, loan, comment="收入稳定，同意放款")

    decided = payload["loan"]
    assert decided["decisionComment"] == "收入稳定，同意放款"
    decided_at = datetime.fromisoformat(decided["decidedAt"])
    assert before - timedelta(seconds=1) <= decided_at <= datetime.now(UTC)
    assert (await row(books, loan)).decided_by == books.bank.user_ids["bj.manager"]
    assert (await seen(books, loan))["decisionComment"] == "收入稳定，同意放款"


async def test_a_rejection_keeps_who_when_and_why(books: Books):
    loan = await applied(books)

    payload = await decide(books, loan, approve=False, comment="征信不良")

    assert payload["loan"]["status"] == "REJECTED"
    assert payload["loan"]["decisionComment"] == "征信不良"
    assert payload["loan"]["decidedAt"] is not None
    assert (await row(books, loan)).decided_by == books.bank.user_ids["bj.manager"]


async def test_a_decision_without_a_comment_keeps_none(books: Books):
    loan = await applied(books)

    payload = await decide(books, loan, comment="   ")

    assert payload["errors"] == []
    assert payload["loan"]["decisionComment"] is None


async def test_an_overlong_comment_is_refused_and_nothing_is_decided(books: Books):
    loan = await applied(books)

    payload = await decide(books, loan, comment="很" * 1001)

    assert codes(payload) == ["TOO_LONG"]
    assert payload["errors"][0]["field"] == ["input", "comment"]
    stored = await row(books, loan)
    assert (stored.status, stored.decided_by) == ("PENDING_APPROVAL", None)


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
async def test_a_loan_is_decided_once(books: Books, first: bool, second: bool):
    loan = await applied(books)
    await decide(books, loan, approve=first, comment="first")

    again = await decide(books, loan, "admin", approve=second, comment="second")

    assert codes(again) == ["LOAN_NOT_PENDING"]
    stored = await row(books, loan)
    assert stored.status == ("APPROVED" if first else "REJECTED")
    assert (stored.decided_by, stored.decision_comment) == (
        books.bank.user_ids["bj.manager"],
        "first",
    )


async def test_a_branch_manager_cannot_reach_another_branch_s_application(books: Books):
    loan = await applied(books)

    payload = await decide(books, loan, "sh.manager")

    assert codes(payload) == ["LOAN_NOT_FOUND"]
    assert (await row(books, loan)).status == "PENDING_APPROVAL"


@pytest.mark.parametrize("username", ["bj.rm", "bj.teller", "bj.agent", "auditor", "marketing"])
async def test_staff_without_loan_decide_cannot_decide(books: Books, username: str):
    loan = await applied(books)

    body = await call_as(books, username, DECIDE, loanId=loan["id"], approve=True)

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await row(books, loan)).status == "PENDING_APPROVAL"


# ---------------------------------------------------------------- disbursement


@pytest.mark.parametrize("decision", [None, False])
async def test_only_an_approved_loan_is_paid_out(books: Books, decision: bool | None):
    loan = await applied(books)
    if decision is not None:
        await decide(books, loan, approve=decision)
    before = await books.entries()

    payload = await disburse(books, loan)

    assert codes(payload) == ["LOAN_NOT_APPROVED"]
    assert payload["errors"][0]["field"] == ["input", "loanId"]
    assert await books.entries() == before
    assert await books.balance(loan["account"]) == ZERO


async def test_disbursement_pays_the_principal_into_the_account_in_one_balanced_entry(
    books: Books,
):
    loan = await approved(books)
    before = await books.entries()

    payload = await disburse(books, loan)

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "ACTIVE"
    assert payload["loan"]["disbursedOn"] == "2026-01-15"
    assert await books.entries() == before + 1
    assert await books.balance(loan["account"]) == Decimal("100000.00")
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == Decimal("-100000.00")
    assert (await books.ledger()).ok


async def test_the_disbursement_shows_on_the_account_s_transactions(books: Books):
    loan = await active(books)
    admin = await books.bank.sign_in("admin")

    body = await admin.data(HISTORY, {"id": loan["account"]["id"]})

    assert [edge["node"] for edge in body["account"]["transactions"]["edges"]] == [
        {"kind": "LOAN_DISBURSEMENT", "direction": "CREDIT", "amount": {"amount": "100000.00"}}
    ]


async def test_the_schedule_is_fixed_from_the_day_the_loan_is_paid_out(books: Books):
    loan = await approved(books)
    await books.open_business_date(date(2026, 1, 31))

    payload = await disburse(books, loan)
    await books.open_business_date(date(2026, 2, 10))  # and stays so as days pass

    shown = await seen(books, loan)
    assert payload["loan"]["disbursedOn"] == "2026-01-31"
    assert [i["dueDate"] for i in shown["schedule"][:3]] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    ]
    assert amounts(shown, "total") == amounts(payload["loan"], "total")


async def test_a_disbursement_retried_with_its_key_pays_out_once(books: Books):
    loan = await approved(books)
    first = await disburse(books, loan, key="pay-out-1")
    before = await books.entries()

    retry = await disburse(books, loan, key="pay-out-1")

    assert retry["errors"] == []
    assert retry["loan"]["status"] == "ACTIVE"
    assert retry["loan"]["schedule"] == first["loan"]["schedule"]
    assert await books.entries() == before
    assert await books.balance(loan["account"]) == Decimal("100000.00")
    assert (await books.ledger()).ok


async def test_a_disbursement_key_used_for_another_loan_is_refused(books: Books):
    paid_out = await approved(books)
    other = await approved(books)
    await disburse(books, paid_out, key="pay-out-1")

    payload = await disburse(books, other, key="pay-out-1")

    assert codes(payload) == ["IDEMPOTENCY_KEY_REUSED"]
    assert payload["errors"][0]["field"] == ["input", "idempotencyKey"]
    assert (await row(books, other)).status == "APPROVED"
    assert await books.balance(other["account"]) == ZERO


async def test_a_refused_disbursement_leaves_its_key_free(books: Books):
    loan = await applied(books)
    refused = await disburse(books, loan, key="pay-out-1")
    await decide(books, loan)

    payload = await disburse(books, loan, key="pay-out-1")

    assert codes(refused) == ["LOAN_NOT_APPROVED"]
    assert payload["errors"] == []
    assert payload["loan"]["status"] == "ACTIVE"


async def test_a_loan_is_paid_out_once_even_with_a_new_key(books: Books):
    loan = await active(books)

    payload = await disburse(books, loan)

    assert codes(payload) == ["LOAN_NOT_APPROVED"]
    assert await books.balance(loan["account"]) == Decimal("100000.00")


async def test_a_branch_manager_cannot_pay_out_another_branch_s_loan(books: Books):
    loan = await approved(books)

    payload = await disburse(books, loan, "sh.manager")

    assert codes(payload) == ["LOAN_NOT_FOUND"]
    assert await books.balance(loan["account"]) == ZERO


@pytest.mark.parametrize("username", ["bj.rm", "bj.teller", "bj.agent", "auditor", "marketing"])
async def test_staff_without_loan_disburse_cannot_pay_out(books: Books, username: str):
    loan = await approved(books)

    body = await call_as(books, username, DISBURSE, loanId=loan["id"], idempotencyKey="k")

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await row(books, loan)).status == "APPROVED"
    assert await books.balance(loan["account"]) == ZERO


# ---------------------------------------------------------------- repayment


async def test_a_partial_repayment_pays_the_oldest_installment_s_interest_first(books: Books):
    loan = await active(books)

    payload = await repay(books, loan, "100.00")

    assert payload["errors"] == []
    repaid = payload["loan"]
    assert repaid["status"] == "ACTIVE"
    assert outstanding(repaid) == Decimal("100000.00")
    assert repaid["schedule"][0]["paidAmount"] == {"amount": "100.00"}
    assert paid(repaid) == [False] * 12
    assert await books.balance(loan["account"]) == Decimal("99900.00")
    assert await internal(books, InternalAccount.INTEREST_INCOME) == Decimal("100.00")
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == Decimal("-100000.00")
    assert (await books.ledger()).ok


async def test_after_its_interest_a_repayment_pays_the_oldest_installment_s_principal(
    books: Books,
):
    loan = await active(books)

    payload = await repay(books, loan, "1362.50")

    repaid = payload["loan"]
    assert outstanding(repaid) == Decimal("99000.00")
    assert repaid["schedule"][0]["paidAmount"] == {"amount": "1362.50"}
    assert paid(repaid)[0] is False
    assert await internal(books, InternalAccount.INTEREST_INCOME) == FIRST_INTEREST
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == Decimal("-99000.00")


async def test_a_whole_installment_paid_is_marked_paid(books: Books):
    loan = await active(books)

    payload = await repay(books, loan, PAYMENT)

    repaid = payload["loan"]
    assert paid(repaid) == [True] + [False] * 11
    assert outstanding(repaid) == Decimal("100000.00") - FIRST_PRINCIPAL
    assert repaid["schedule"][1]["paidAmount"] == {"amount": "0.00"}


async def test_what_the_oldest_installment_does_not_take_goes_to_the_next(books: Books):
    loan = await active(books)

    payload = await repay(books, loan, PAYMENT + Decimal("500.00"))

    repaid = payload["loan"]
    assert paid(repaid)[:2] == [True, False]
    assert repaid["schedule"][1]["paidAmount"] == {"amount": "500.00"}
    # of the 500.00: 332.89 interest of the second month, then 167.11 of its principal
    assert outstanding(repaid) == Decimal("100000.00") - FIRST_PRINCIPAL - Decimal("167.11")
    assert await internal(books, InternalAccount.INTEREST_INCOME) == (
        FIRST_INTEREST + SECOND_INTEREST
    )
    assert (await books.ledger()).ok


async def test_partial_repayments_add_up_installment_by_installment(books: Books):
    loan = await active(books)

    for amount in ("300.00", "300.00", "8000.00"):
        payload = await repay(books, loan, amount)
        assert payload["errors"] == []

    repaid = payload["loan"]
    assert paid(repaid)[:2] == [True, False]
    assert repaid["schedule"][1]["paidAmount"] == {"amount": "69.01"}  # 8,600.00 − 8,530.99
    assert outstanding(repaid) == Decimal("100000.00") - FIRST_PRINCIPAL
    assert await books.balance(loan["account"]) == Decimal("91400.00")


async def test_paying_the_whole_principal_at_once_pays_the_loan_off_without_future_interest(
    books: Books,
):
    loan = await active(books)

    payload = await repay(books, loan, "100000.00")

    assert payload["errors"] == []
    repaid = payload["loan"]
    assert repaid["status"] == "PAID_OFF"
    assert repaid["paidOffOn"] == "2026-01-15"
    assert outstanding(repaid) == ZERO
    assert paid(repaid) == [True] * 12
    assert amounts(repaid, "interest") == [ZERO] * 12
    assert await books.balance(loan["account"]) == ZERO
    assert await internal(books, InternalAccount.INTEREST_INCOME) == ZERO
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == ZERO
    assert (await books.ledger()).ok


async def test_an_early_payoff_after_an_installment_charges_only_that_installment_s_interest(
    books: Books,
):
    loan = await active(books)
    await books.deposit(loan["account"], FIRST_INTEREST)
    await repay(books, loan, PAYMENT)

    payload = await repay(books, loan, Decimal("100000.00") - FIRST_PRINCIPAL)

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "PAID_OFF"
    assert amounts(payload["loan"], "interest") == [FIRST_INTEREST] + [ZERO] * 11
    assert await books.balance(loan["account"]) == ZERO
    assert await internal(books, InternalAccount.INTEREST_INCOME) == FIRST_INTEREST
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == ZERO


async def test_a_payoff_after_a_due_date_charges_the_interest_that_fell_due(books: Books):
    loan = await active(books)
    await books.deposit(loan["account"], FIRST_INTEREST)
    await books.open_business_date(date(2026, 2, 20))  # the first installment is 5 days late

    payload = await repay(books, loan, Decimal("100000.00") + FIRST_INTEREST)

    assert payload["errors"] == []
    assert payload["loan"]["status"] == "PAID_OFF"
    assert payload["loan"]["paidOffOn"] == "2026-02-20"
    assert amounts(payload["loan"], "interest") == [FIRST_INTEREST] + [ZERO] * 11
    assert await books.balance(loan["account"]) == ZERO
    assert await internal(books, InternalAccount.INTEREST_INCOME) == FIRST_INTEREST
    assert (await books.ledger()).ok


async def test_an_installment_unpaid_after_its_due_date_shows_as_overdue(books: Books):
    loan = await active(books)

    await books.open_business_date(date(2026, 2, 20))

    shown = await seen(books, loan)
    assert shown["daysPastDue"] == 5
    assert shown["overdueAmount"] == {"amount": "8530.99"}
    assert shown["status"] == "ACTIVE"


async def test_repaying_what_is_overdue_brings_the_loan_up_to_date(books: Books):
    loan = await active(books)
    await books.open_business_date(date(2026, 2, 20))

    payload = await repay(books, loan, PAYMENT)

    assert paid(payload["loan"])[:2] == [True, False]
    assert payload["loan"]["daysPastDue"] == 0
    assert payload["loan"]["overdueAmount"] == {"amount": "0.00"}


@pytest.mark.parametrize(
    ("on", "payoff"),
    [(OPENED, Decimal("100000.00")), (date(2026, 2, 20), Decimal("100362.50"))],
)
async def test_more_than_the_loan_owes_is_refused(books: Books, on: date, payoff: Decimal):
    loan = await active(books)
    await books.deposit(loan["account"], "1000.00")
    await books.open_business_date(on)
    before = await books.entries()

    payload = await repay(books, loan, payoff + Decimal("0.01"))

    assert codes(payload) == ["REPAYMENT_EXCEEDS_OWED"]
    assert payload["errors"][0]["field"] == ["input", "amount"]
    assert str(payoff) in payload["errors"][0]["message"]
    assert await books.entries() == before
    assert (await row(books, loan)).outstanding_principal == Decimal("100000.00")


async def test_a_repayment_the_account_cannot_cover_is_refused(books: Books):
    loan = await active(books)
    await books.withdraw(loan["account"], "99950.00")
    before = await books.entries()

    payload = await repay(books, loan, "50.01")

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]
    assert payload["errors"][0]["field"] == ["input", "amount"]
    assert await books.entries() == before
    assert await books.balance(loan["account"]) == Decimal("50.00")


async def test_the_whole_balance_may_go_to_a_repayment(books: Books):
    loan = await active(books)
    await books.withdraw(loan["account"], "99950.00")

    payload = await repay(books, loan, "50.00")

    assert payload["errors"] == []
    assert await books.balance(loan["account"]) == ZERO


@pytest.mark.parametrize("decision", [None, True])
async def test_a_loan_not_paid_out_takes_no_repayment(books: Books, decision: bool | None):
    loan = await applied(books)
    if decision is not None:
        await decide(books, loan, approve=decision)
    await books.deposit(loan["account"], "1000.00")
    before = await books.entries()

    payload = await repay(books, loan, "100.00")

    assert codes(payload) == ["LOAN_NOT_ACTIVE"]
    assert payload["errors"][0]["field"] == ["input", "loanId"]
    assert await books.entries() == before


async def test_a_paid_off_loan_takes_no_more_repayment(books: Books):
    loan = await active(books)
    await books.deposit(loan["account"], "1000.00")
    await repay(books, loan, "100000.00")

    payload = await repay(books, loan, "100.00")

    assert codes(payload) == ["LOAN_NOT_ACTIVE"]
    assert await books.balance(loan["account"]) == Decimal("1000.00")


@pytest.mark.parametrize("amount", ["0", "-100.00", "100.001"])
async def test_a_repayment_that_is_not_money_is_refused(books: Books, amount: str):
    loan = await active(books)

    payload = await repay(books, loan, amount)

    assert codes(payload) == ["INVALID_AMOUNT"]
    assert await books.balance(loan["account"]) == Decimal("100000.00")


async def test_a_repayment_retried_with_its_key_is_taken_once(books: Books):
    loan = await active(books)
    await repay(books, loan, "100.00", key="repay-1")
    before = await books.entries()

    retry = await repay(books, loan, "100.00", key="repay-1")

    assert retry["errors"] == []
    assert retry["loan"]["schedule"][0]["paidAmount"] == {"amount": "100.00"}
    assert await books.entries() == before
    assert await books.balance(loan["account"]) == Decimal("99900.00")


async def test_a_payoff_retried_after_the_loan_is_paid_off_returns_the_paid_off_loan(
    books: Books,
):
    loan = await active(books)
    await repay(books, loan, "100000.00", key="payoff")

    retry = await repay(books, loan, "100000.00", key="payoff")

    assert retry["errors"] == []
    assert retry["loan"]["status"] == "PAID_OFF"
    assert (await books.ledger()).ok


async def test_a_repayment_key_used_for_another_amount_is_refused(books: Books):
    loan = await active(books)
    await repay(books, loan, "100.00", key="repay-1")

    payload = await repay(books, loan, "200.00", key="repay-1")

    assert codes(payload) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await books.balance(loan["account"]) == Decimal("99900.00")


async def test_a_teller_of_another_branch_cannot_take_a_repayment(books: Books):
    loan = await active(books)

    payload = await repay(books, loan, "100.00", "sh.teller")

    assert codes(payload) == ["LOAN_NOT_FOUND"]
    assert await books.balance(loan["account"]) == Decimal("100000.00")


@pytest.mark.parametrize("username", ["bj.rm", "bj.agent", "auditor", "marketing"])
async def test_staff_without_loan_repay_cannot_take_a_repayment(books: Books, username: str):
    loan = await active(books)

    body = await call_as(
        books, username, REPAY, loanId=loan["id"], amount="100.00", idempotencyKey="k"
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await books.balance(loan["account"]) == Decimal("100000.00")


# ---------------------------------------------------------------- the bank's own accounts


async def test_loans_receivable_holds_the_principal_outstanding_and_income_the_interest_paid(
    books: Books,
):
    first = await active(books)
    second = await active(books, principal="50000.00", method="EQUAL_PRINCIPAL")
    await approved(books, principal="20000.00")  # not paid out: not receivable
    await repay(books, first, PAYMENT)
    await repay(books, second, "1000.00")  # 181.25 interest, then 818.75 principal

    first_now, second_now = await seen(books, first), await seen(books, second)

    assert outstanding(second_now) == Decimal("49181.25")
    assert await internal(books, InternalAccount.LOANS_RECEIVABLE) == -(
        outstanding(first_now) + outstanding(second_now)
    )
    assert await internal(books, InternalAccount.INTEREST_INCOME) == FIRST_INTEREST + Decimal(
        "181.25"
    )
    assert (await books.ledger()).ok


# ---------------------------------------------------------------- who sees which loans


async def shanghai_loan(books: Books) -> dict[str, Any]:
    customer, account = await borrower(books, branchCode=SH)
    payload = await apply(books, customer, account)
    assert payload["errors"] == []
    return payload["loan"] | {"customer": customer}


@pytest.mark.parametrize(
    ("username", "sees"),
    [("bj.teller", False), ("bj.agent", False), ("sh.teller", True), ("auditor", True)],
)
async def test_a_loan_is_reached_only_through_its_customer_s_scope(
    books: Books, username: str, sees: bool
):
    loan = await shanghai_loan(books)

    found = await fetch(books, loan, username)

    assert (found is not None) == sees
    if sees:
        assert found["loanNo"] == loan["loanNo"]  # type: ignore[index]


async def test_a_relationship_manager_reaches_the_loans_of_his_own_customers_only(books: Books):
    managed, unmanaged = await applied(books), await applied(books)
    await books.bank.assign(managed["customer"], "bj.rm")

    assert await fetch(books, managed, "bj.rm") is not None
    assert await fetch(books, unmanaged, "bj.rm") is None


@pytest.mark.parametrize(("username", "sees"), [("bj.teller", False), ("sh.teller", True)])
async def test_node_reaches_a_loan_within_scope_only(books: Books, username: str, sees: bool):
    loan = await shanghai_loan(books)
    caller = await books.bank.sign_in(username)

    body = await caller.data(NODE, {"id": loan["id"]})

    expected = {"__typename": "Loan", "loanNo": loan["loanNo"]} if sees else None
    assert body["node"] == expected


async def test_a_loan_names_its_customer_and_its_account(books: Books):
    loan = await applied(books)
    admin = await books.bank.sign_in("admin")

    body = await admin.data(
        "query($id: ID!) { loan(id: $id) { customer { id } account { id kind } } }",
        {"id": loan["id"]},
    )

    assert body["loan"] == {
        "customer": {"id": loan["customer"]["id"]},
        "account": {"id": loan["account"]["id"], "kind": "DEMAND"},
    }


async def test_loan_by_an_id_of_another_type_is_null(books: Books):
    loan = await applied(books)
    admin = await books.bank.sign_in("admin")

    body = await admin.data(LOAN, {"id": loan["customer"]["id"]})

    assert body["loan"] is None


async def test_marketing_may_not_read_a_loan(books: Books):
    loan = await applied(books)
    marketing = await books.bank.sign_in("marketing")

    body = await marketing.execute(LOAN, {"id": loan["id"]})
    node = await marketing.data(NODE, {"id": loan["id"]})

    assert error_codes(body) == ["FORBIDDEN"]
    assert node["node"] is None


async def test_marketing_sees_no_loans_on_a_customer(books: Books):
    loan = await applied(books)
    marketing = await books.bank.sign_in("marketing")

    body = await marketing.data(CUSTOMER_LOANS, {"id": loan["customer"]["id"]})

    assert body["customer"]["loans"] == []


async def test_a_customer_s_loans_are_listed_newest_first(books: Books):
    customer, account = await borrower(books)
    first = (await apply(books, customer, account, principal="20000.00"))["loan"]
    second = (await apply(books, customer, account, principal="30000.00"))["loan"]
    await decide(books, first, approve=False)
    teller = await books.bank.sign_in("bj.teller")

    body = await teller.data(CUSTOMER_LOANS, {"id": customer["id"]})

    assert body["customer"]["loans"] == [
        {"loanNo": second["loanNo"], "status": "PENDING_APPROVAL"},
        {"loanNo": first["loanNo"], "status": "REJECTED"},
    ]


async def test_a_customer_out_of_scope_shows_none_of_its_loans(books: Books):
    loan = await shanghai_loan(books)
    teller = await books.bank.sign_in("bj.teller")

    body = await teller.data(CUSTOMER_LOANS, {"id": loan["customer"]["id"]})

    assert body["customer"] is None


# ---------------------------------------------------------------- with the end-of-day batch


async def test_end_of_day_collects_installments_and_charges_penalty_on_what_is_overdue(
    books: Books,
):
    await books.open_business_date(date(2026, 1, 10))
    customer = await books.customer()
    account = await books.open(customer)
    applied = await call(
        books,
        "admin",
        APPLY,
        "applyForLoan",
        customerId=customer["id"],
        principal="12000.00",
        termMonths=12,
        repaymentMethod="EQUAL_PRINCIPAL",
        accountId=account["id"],
    )
    loan_id = applied["loan"]["id"]
    await call(books, "bj.manager", DECIDE, "decideLoan", loanId=loan_id, approve=True)
    await call(books, "admin", DISBURSE, "disburseLoan", loanId=loan_id, idempotencyKey="d")
    await books.withdraw(account, "12000.00")

    await books.close_days(date(2026, 2, 11))  # 02-10 falls due, nothing to collect it with
    await books.deposit(account, "2000.00")
    await books.close_days(date(2026, 2, 13))  # 02-11 collects

    caller = await books.bank.sign_in("admin")
    body = await caller.data(
        f"query($id: ID!) {{ loan(id: $id) {{ {LOAN_FIELDS} penaltyInterest {{ amount }} }} }}",
        {"id": loan_id},
    )
    loan = body["loan"]
    assert loan["schedule"][0]["paid"] is True
    assert loan["daysPastDue"] == 0
    assert (await books.ledger()).ok
