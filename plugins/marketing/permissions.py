"""The marketing plugin's permissions and which roles hold them.

Head office's marketing team keeps the product catalogue, builds segments and
runs campaigns; branch managers run campaigns for their branch; relationship
managers, branch managers and tellers record how customers respond and record
withdrawn consent, which service agents may also do. Auditors read.

Leads (prospects) are worked by relationship managers and branch managers,
who also refer customers to specialist teams; head office's marketing team
and auditors read the pipeline. The specialists are relationship managers
(and head office's administrators) holding ``referral.work``: the bank has no
specialist role, and its wealth, insurance and lending specialists are
relationship managers of a branch; which team a referral is for is a property
of the referral, not of the user.

Events (wealth seminars, VIP salons) are planned and worked by head office's
marketing team and branch managers (``event.manage``); whoever records
campaign responses also records customers' answers to invitations.
"""

from core.authorization import Permission, Role

MARKETING_READ = "marketing.read"
PRODUCT_MANAGE = "product.manage"
CAMPAIGN_MANAGE = "campaign.manage"
CAMPAIGN_RESPOND = "campaign.respond"
CONSENT_MANAGE = "consent.manage"
LEAD_READ = "lead.read"
LEAD_MANAGE = "lead.manage"
REFERRAL_MAKE = "referral.make"
REFERRAL_WORK = "referral.work"
EVENT_MANAGE = "event.manage"

PERMISSIONS = (
    Permission(MARKETING_READ, "Read products, segments, campaigns and memberships in scope."),
    Permission(PRODUCT_MANAGE, "Add and change products of the catalogue."),
    Permission(CAMPAIGN_MANAGE, "Save segments and plan, launch, complete and cancel campaigns."),
    Permission(CAMPAIGN_RESPOND, "Record how customers in your scope respond to campaigns."),
    Permission(CONSENT_MANAGE, "Record customers' withdrawn and restored marketing consent."),
    Permission(LEAD_READ, "Read leads and referrals in your scope, and the lead pipeline."),
    Permission(LEAD_MANAGE, "Record leads, move them through the pipeline and convert won ones."),
    Permission(REFERRAL_MAKE, "Refer customers in your scope to a specialist team."),
    Permission(REFERRAL_WORK, "Accept, decline and close referrals as a specialist."),
    Permission(EVENT_MANAGE, "Plan and cancel events, invite customers and record attendance."),
)

GRANTS = {
    Role.ADMIN: tuple(p.name for p in PERMISSIONS),
    Role.MARKETING: (
        MARKETING_READ,
        PRODUCT_MANAGE,
        CAMPAIGN_MANAGE,
        CONSENT_MANAGE,
        LEAD_READ,
        EVENT_MANAGE,
    ),
    Role.BRANCH_MANAGER: (
        MARKETING_READ,
        CAMPAIGN_MANAGE,
        CAMPAIGN_RESPOND,
        CONSENT_MANAGE,
        LEAD_READ,
        LEAD_MANAGE,
        REFERRAL_MAKE,
        EVENT_MANAGE,
    ),
    Role.RELATIONSHIP_MANAGER: (
        MARKETING_READ,
        CAMPAIGN_RESPOND,
        CONSENT_MANAGE,
        LEAD_READ,
        LEAD_MANAGE,
        REFERRAL_MAKE,
        REFERRAL_WORK,
    ),
    Role.TELLER: (MARKETING_READ, CAMPAIGN_RESPOND, CONSENT_MANAGE),
    Role.SERVICE_AGENT: (CONSENT_MANAGE,),
    Role.AUDITOR: (MARKETING_READ, LEAD_READ),
}
