"""The finance plugin's permissions and which roles hold them.

Tellers handle cash and transfers at the counter; relationship managers read
their customers' accounts and open them; branch managers do everything in
their branch, freezes included; head office also lists rates. Service agents
and auditors read; marketing reads no accounts (it sees assets through
segments, not balances).
"""

from core.authorization import Permission, Role

ACCOUNT_READ = "account.read"
ACCOUNT_OPEN = "account.open"
CASH_HANDLE = "cash.handle"
MONEY_TRANSFER = "money.transfer"
ACCOUNT_FREEZE = "account.freeze"
RATE_MANAGE = "rate.manage"

PERMISSIONS = (
    Permission(ACCOUNT_READ, "Read the accounts and transactions of customers in your scope."),
    Permission(ACCOUNT_OPEN, "Open and close accounts, fixed deposits included."),
    Permission(CASH_HANDLE, "Take cash deposits and pay out cash withdrawals."),
    Permission(MONEY_TRANSFER, "Transfer money between accounts in your scope."),
    Permission(ACCOUNT_FREEZE, "Freeze accounts and release freezes."),
    Permission(RATE_MANAGE, "Change the rates products open new accounts at."),
)

GRANTS = {
    Role.ADMIN: tuple(p.name for p in PERMISSIONS),
    Role.BRANCH_MANAGER: (
        ACCOUNT_READ,
        ACCOUNT_OPEN,
        CASH_HANDLE,
        MONEY_TRANSFER,
        ACCOUNT_FREEZE,
    ),
    Role.RELATIONSHIP_MANAGER: (ACCOUNT_READ, ACCOUNT_OPEN),
    Role.TELLER: (ACCOUNT_READ, ACCOUNT_OPEN, CASH_HANDLE, MONEY_TRANSFER),
    Role.SERVICE_AGENT: (ACCOUNT_READ,),
    Role.AUDITOR: (ACCOUNT_READ,),
}
