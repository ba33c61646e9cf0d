"""The permissions the security plugin defines, and the roles that hold them."""

from core.authorization import Permission, Principal, Role

USER_READ = "user.read"
USER_MANAGE = "user.manage"
BRANCH_MANAGE = "branch.manage"
PII_READ = "pii.read"
AUDIT_READ = "audit.read"
PII_REVEAL = "pii.reveal"

PERMISSIONS = (
    Permission(USER_READ, "See staff accounts and their roles."),
    Permission(USER_MANAGE, "Create staff accounts and give them roles."),
    Permission(BRANCH_MANAGE, "Create and rename branches."),
    Permission(PII_READ, "Read customers' identity numbers, phones and e-mail unmasked."),
    Permission(AUDIT_READ, "Read and export the audit log."),
    Permission(PII_REVEAL, "See one customer's personal data unmasked, giving a reason (audited)."),
)

GRANTS = {
    Role.ADMIN: (USER_READ, USER_MANAGE, BRANCH_MANAGE, PII_READ, PII_REVEAL),
    Role.AUDITOR: (USER_READ, PII_READ, AUDIT_READ),
    Role.BRANCH_MANAGER: (USER_READ, PII_READ),
    Role.RELATIONSHIP_MANAGER: (PII_READ,),
    Role.TELLER: (PII_REVEAL,),
    Role.SERVICE_AGENT: (PII_REVEAL,),
}


def visible_branch(principal: Principal) -> int | None:
    """The branch whose staff a principal may list; None for every branch (head office)."""
    return principal.scope.branch_id


def can_see_user(principal: Principal, user_id: int, branch_id: int | None) -> bool:
    """Anyone sees themselves; ``user.read`` shows the staff of the viewer's scope."""
    if user_id == principal.user_id:
        return True
    scope = visible_branch(principal)
    return principal.can(USER_READ) and (scope is None or scope == branch_id)
