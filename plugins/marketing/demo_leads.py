"""Demo leads: fifteen prospects of the branches' relationship managers, from
every source and at every stage of the pipeline, each moved there one step at
a time (or signed at the first meeting); the first won individual has become
a customer. Partners introduce companies, the other sources individuals."""

from __future__ import annotations

import random
from decimal import Decimal

from faker import Faker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.hookspecs import DemoOptions
from plugins.customer.models import Customer, CustomerKind
from plugins.marketing.events.models import MarketingEvent
from plugins.marketing.leads.conversion import convert_lead
from plugins.marketing.leads.models import LeadSource, LeadStage
from plugins.marketing.leads.pipeline import Prospect, Terms, create_lead, move_lead
from plugins.marketing.leads.sources import Origin
from plugins.marketing.models import Campaign

S = LeadStage
FORWARD = (S.NEW, S.CONTACTED, S.QUALIFIED, S.PROPOSAL, S.WON)
TARGETS = (S.NEW, S.CONTACTED, S.QUALIFIED, S.PROPOSAL, S.WON, S.LOST) * 2 + (
    S.NEW,
    S.CONTACTED,
    S.QUALIFIED,
)
NOTES = {
    S.CONTACTED: "电话联系，客户愿意约时间面谈。",
    S.QUALIFIED: "核实资产规模与风险偏好，符合产品准入。",
    S.PROPOSAL: "已提交资产配置方案，等待客户答复。",
    S.WON: "客户签约，首笔资金已到账。",
}
LOST_BECAUSE = ("客户选择了他行产品。", "客户资金另有安排，暂不考虑。", "客户对收益率不满意。")
PARTNERS = ("金杜律师事务所", "链家地产望京店", "宝马 4S 店（亦庄）")
PRODUCTS = ("DEP-CD-3Y", "WM-R2-STEADY", "WM-R3-BALANCED", "INS-ANNUITY", "LOAN-CONSUMER")
FIRST_NOTES = ("客户到网点咨询理财。", "对大额存单利率感兴趣。", "家中有子女留学资金需求。", None)


async def seed_leads(
    session: AsyncSession,
    options: DemoOptions,
    managers: list[Principal],
    campaign: Campaign,
    event: MarketingEvent,
) -> None:
    rng = random.Random(options.seed + 14)  # noqa: S311  (reproducible demo data, not secrets)
    fake = Faker("zh_CN")
    fake.seed_instance(options.seed + 14)
    sources = list(LeadSource)
    converted = False
    for n, target in enumerate(TARGETS):
        owner = managers[n % len(managers)]
        source = sources[n % len(sources)]
        corporate = source is LeadSource.PARTNER
        lead = await create_lead(
            session,
            options.runtime.permissions,
            owner,
            Prospect(
                name=fake.company() if corporate else fake.name(),
                origin=await _origin(session, rng, owner, source, campaign, event),
                kind=CustomerKind.CORPORATE if corporate else CustomerKind.INDIVIDUAL,
                phone=fake.phone_number(),
                email=fake.company_email() if corporate else fake.free_email(),
                terms=Terms(
                    expected_amount=Decimal(rng.randrange(5, 300) * 10_000),
                    probability=rng.choice((10, 20, 30, 50)),
                    product_code=rng.choice(PRODUCTS),
                    note=rng.choice(FIRST_NOTES),
                ),
            ),
        )
        for stage in _path(target, rng):
            reason = rng.choice(LOST_BECAUSE) if stage is S.LOST else None
            await move_lead(session, owner, lead.id, stage, NOTES.get(stage), reason)
        if target is S.WON and not corporate and not converted:
            id_number = fake.ssn(min_age=25, max_age=70)
            await convert_lead(session, owner, lead.id, id_number, options.runtime.settings.today())
            converted = True


def _path(target: LeadStage, rng: random.Random) -> list[LeadStage]:
    """The moves from NEW to ``target``: forward a step at a time, a won lead
    sometimes at once, a lost one from wherever it had got to."""
    if target is S.LOST:
        return [*FORWARD[1 : rng.randrange(1, 4)], S.LOST]
    if target is S.WON and rng.random() < 0.5:
        return [S.WON]
    return list(FORWARD[1 : FORWARD.index(target) + 1])


async def _origin(
    session: AsyncSession,
    rng: random.Random,
    owner: Principal,
    source: LeadSource,
    campaign: Campaign,
    event: MarketingEvent,
) -> Origin:
    """Where the prospect came from; a referral from one of the owner's customers."""
    if source is LeadSource.REFERRAL:
        portfolio = list(
            await session.scalars(
                select(Customer.id)
                .where(Customer.relationship_manager_id == owner.user_id)
                .order_by(Customer.id)
            )
        )
        return Origin(source, referred_by_customer_id=rng.choice(portfolio))
    if source is LeadSource.EVENT:
        return Origin(source, event_id=event.id)
    if source is LeadSource.CAMPAIGN:
        return Origin(source, campaign_id=campaign.id)
    if source is LeadSource.PARTNER:
        return Origin(source, partner=rng.choice(PARTNERS))
    return Origin(source)
