"""The finance plugin's permissions and which roles hold them.

Tellers handle cash, transfers and loan repayments at the counter;
relationship managers read their customers' accounts, open them and apply for
loans; branch managers do everything in their branch, freezes and loan
decisions (up to their limit) included; head office also lists rates and
decides loans of any size, and runs reconciliation. Branch managers work
the reconciliation exceptions of their branch's customers and read its reports;
auditors read exceptions and reports. Service agents read accounts; marketing
reads no accounts (it sees assets through segments, not balances).
"""

from core.authorization import Permission, Role

ACCOUNT_READ = "account.read"
ACCOUNT_OPEN = "account.open"
CASH_HANDLE = "cash.handle"
MONEY_TRANSFER = "money.transfer"
ACCOUNT_FREEZE = "account.freeze"
RATE_MANAGE = "rate.manage"
LOAN_APPLY = "loan.apply"
LOAN_DECIDE = "loan.decide"
LOAN_DISBURSE = "loan.disburse"
LOAN_REPAY = "loan.repay"
RECONCILIATION_READ = "reconciliation.read"
RECONCILIATION_WORK = "reconciliation.work"
RECONCILIATION_RUN = "reconciliation.run"
REPORT_READ = "report.read"

PERMISSIONS = (
    Permission(ACCOUNT_READ, "Read the accounts and transactions of customers in your scope."),
    Permission(ACCOUNT_OPEN, "Open and close accounts, fixed deposits included."),
    Permission(CASH_HANDLE, "Take cash deposits and pay out cash withdrawals."),
    Permission(MONEY_TRANSFER, "Transfer money between accounts in your scope."),
    Permission(ACCOUNT_FREEZE, "Freeze accounts and release freezes."),
    Permission(RATE_MANAGE, "Change the rates products open new accounts at."),
    Permission(LOAN_APPLY, "Apply for loans for customers in your scope."),
    Permission(
        LOAN_DECIDE,
        "Approve or reject loan applications of others (branch managers up to their limit).",
    ),
    Permission(LOAN_DISBURSE, "Pay out approved loans."),
    Permission(LOAN_REPAY, "Take loan repayments from the loan's account."),
    Permission(RECONCILIATION_READ, "Read reconciliation exceptions and clearing statements."),
    Permission(
        RECONCILIATION_WORK, "Work reconciliation exceptions: assign, note, investigate, resolve."
    ),
    Permission(RECONCILIATION_RUN, "Run reconciliation and import the clearing side's statements."),
    Permission(
        REPORT_READ, "Read the daily balance and loan reports (the trial balance: head office)."
    ),
)

GRANTS = {
    Role.ADMIN: tuple(p.name for p in PERMISSIONS),
    Role.BRANCH_MANAGER: (
        ACCOUNT_READ,
        ACCOUNT_OPEN,
        CASH_HANDLE,
        MONEY_TRANSFER,
        ACCOUNT_FREEZE,
        LOAN_APPLY,
        LOAN_DECIDE,
        LOAN_DISBURSE,
        LOAN_REPAY,
        RECONCILIATION_READ,
        RECONCILIATION_WORK,
        REPORT_READ,
    ),
    Role.RELATIONSHIP_MANAGER: (ACCOUNT_READ, ACCOUNT_OPEN, LOAN_APPLY),
    Role.TELLER: (ACCOUNT_READ, ACCOUNT_OPEN, CASH_HANDLE, MONEY_TRANSFER, LOAN_REPAY),
    Role.SERVICE_AGENT: (ACCOUNT_READ,),
    Role.AUDITOR: (ACCOUNT_READ, RECONCILIATION_READ, REPORT_READ),
}
