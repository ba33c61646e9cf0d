"""The service plugin's permissions and which roles hold them.

Service agents, tellers, relationship managers and branch managers open and
work tickets of the customers in their scope; branch managers also record
complaints' compensation; head office sets the SLA matrix and the service
calendar. Auditors read tickets and metrics; marketing sees none.
"""

from core.authorization import Permission, Role

TICKET_READ = "ticket.read"
TICKET_WORK = "ticket.work"
COMPLAINT_MANAGE = "complaint.manage"
SERVICE_METRICS = "service.metrics"
SERVICE_CONFIGURE = "service.configure"

PERMISSIONS = (
    Permission(TICKET_READ, "Read the tickets of customers in your scope."),
    Permission(
        TICKET_WORK,
        "Open, move, comment on and assign tickets of customers in your scope, and record "
        "satisfaction surveys.",
    ),
    Permission(COMPLAINT_MANAGE, "Record a complaint's root cause and compensation."),
    Permission(SERVICE_METRICS, "Read service metrics of your branch (head office: any)."),
    Permission(SERVICE_CONFIGURE, "Set the SLA matrix and the service calendar."),
)

GRANTS = {
    Role.ADMIN: tuple(p.name for p in PERMISSIONS),
    Role.BRANCH_MANAGER: (TICKET_READ, TICKET_WORK, COMPLAINT_MANAGE, SERVICE_METRICS),
    Role.RELATIONSHIP_MANAGER: (TICKET_READ, TICKET_WORK),
    Role.TELLER: (TICKET_READ, TICKET_WORK),
    Role.SERVICE_AGENT: (TICKET_READ, TICKET_WORK),
    Role.AUDITOR: (TICKET_READ, SERVICE_METRICS),
}
