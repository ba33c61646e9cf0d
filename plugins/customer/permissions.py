"""The customer plugin's permissions and which roles hold them.

Relationship managers work their portfolio, branch managers their branch;
tellers and service agents read what their work needs (masked: they lack
``pii.read``); marketing reads customers for segments, masked; auditors read
everything and change nothing.
"""

from core.authorization import Permission, Role

CUSTOMER_READ = "customer.read"
CUSTOMER_WRITE = "customer.write"
CUSTOMER_ASSIGN = "customer.assign"
CUSTOMER_SHARE = "customer.share"
CUSTOMER_CONTACT = "customer.contact"
CUSTOMER_MERGE = "customer.merge"
CUSTOMER_RETIER = "customer.retier"

PERMISSIONS = (
    Permission(CUSTOMER_READ, "Find and read customers in your scope."),
    Permission(CUSTOMER_WRITE, "Register customers and change their details."),
    Permission(CUSTOMER_ASSIGN, "Assign and reassign relationship managers."),
    Permission(CUSTOMER_SHARE, "Share a customer with a colleague for a while."),
    Permission(CUSTOMER_CONTACT, "Record contacts and follow-up tasks."),
    Permission(CUSTOMER_MERGE, "Merge duplicate customers."),
    Permission(CUSTOMER_RETIER, "Recompute service tiers on demand."),
)

_EVERYTHING = tuple(p.name for p in PERMISSIONS)

GRANTS = {
    Role.ADMIN: _EVERYTHING,
    Role.BRANCH_MANAGER: _EVERYTHING,
    Role.RELATIONSHIP_MANAGER: (CUSTOMER_READ, CUSTOMER_WRITE, CUSTOMER_SHARE, CUSTOMER_CONTACT),
    Role.TELLER: (CUSTOMER_READ,),
    Role.SERVICE_AGENT: (CUSTOMER_READ, CUSTOMER_CONTACT),
    Role.MARKETING: (CUSTOMER_READ,),
    Role.AUDITOR: (CUSTOMER_READ,),
}
