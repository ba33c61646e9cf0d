"""The marketing plugin's permissions and which roles hold them.

Head office's marketing team keeps the product catalogue, builds segments and
runs campaigns; branch managers run campaigns for their branch; relationship
managers, branch managers and tellers record how customers respond and record
withdrawn consent, which service agents may also do. Auditors read.
"""

from core.authorization import Permission, Role

MARKETING_READ = "marketing.read"
PRODUCT_MANAGE = "product.manage"
CAMPAIGN_MANAGE = "campaign.manage"
CAMPAIGN_RESPOND = "campaign.respond"
CONSENT_MANAGE = "consent.manage"

PERMISSIONS = (
    Permission(MARKETING_READ, "Read products, segments, campaigns and memberships in scope."),
    Permission(PRODUCT_MANAGE, "Add and change products of the catalogue."),
    Permission(CAMPAIGN_MANAGE, "Save segments and plan, launch, complete and cancel campaigns."),
    Permission(CAMPAIGN_RESPOND, "Record how customers in your scope respond to campaigns."),
    Permission(CONSENT_MANAGE, "Record customers' withdrawn and restored marketing consent."),
)

GRANTS = {
    Role.ADMIN: tuple(p.name for p in PERMISSIONS),
    Role.MARKETING: (MARKETING_READ, PRODUCT_MANAGE, CAMPAIGN_MANAGE, CONSENT_MANAGE),
    Role.BRANCH_MANAGER: (MARKETING_READ, CAMPAIGN_MANAGE, CAMPAIGN_RESPOND, CONSENT_MANAGE),
    Role.RELATIONSHIP_MANAGER: (MARKETING_READ, CAMPAIGN_RESPOND, CONSENT_MANAGE),
    Role.TELLER: (MARKETING_READ, CAMPAIGN_RESPOND, CONSENT_MANAGE),
    Role.SERVICE_AGENT: (CONSENT_MANAGE,),
    Role.AUDITOR: (MARKETING_READ,),
}
