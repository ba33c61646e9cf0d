"""Loans through the API: application, four eyes, disbursement, repayment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.plugins.finance.conftest import Books, codes

LOAN_FIELDS = """
  id loanNo status principal { amount currency } annualInterestRate termMonths
  repaymentMethod outstandingPrincipal { amount } daysPastDue overdueAmount { amount }
  schedule { number dueDate principal { amount } interest { amount } total { amount } paid }
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


async def call(books: Books, by: str, mutation: str, name: str, **input: Any) -> dict[str, Any]:
    caller = await books.bank.sign_in(by)
    return (await caller.data(mutation, {"input": input}))[name]


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
