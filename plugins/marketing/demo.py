"""Demo marketing: a few customers have withdrawn consent, three campaigns
(running, completed, a draft) with responses recorded; then the outreach built
on them: events (``demo_events``), leads (``demo_leads``) and referrals
(``demo_referrals``)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Role
from core.hookspecs import DemoOptions
from plugins.customer.api.customers import CustomerFilter
from plugins.customer.models import Customer, CustomerTier
from plugins.marketing.audience import filter_to_json
from plugins.marketing.campaigns import (
    Answer,
    Plan,
    create_campaign,
    launch_campaign,
    move_campaign,
    record_response,
)
from plugins.marketing.consent import withdraw_consent
from plugins.marketing.demo_events import hold_salon, plan_salon, seed_seminar
from plugins.marketing.demo_leads import seed_leads
from plugins.marketing.demo_referrals import seed_referrals
from plugins.marketing.demo_staff import demo_staff
from plugins.marketing.models import CampaignChannel, CampaignStatus, Membership, MembershipStatus
from plugins.security.demo import demo_administrator

OPT_OUT_SHARE = 0.05
C, R, D = MembershipStatus.CONTACTED, MembershipStatus.RESPONDED, MembershipStatus.DECLINED
PATHS = ((), (C,), (C, D), (C, R))


async def seed(session: AsyncSession, options: DemoOptions) -> None:
    rng = random.Random(options.seed + 7)  # noqa: S311  (reproducible demo data, not secrets)
    settings = options.runtime.settings
    today = settings.today()
    admin = await demo_administrator(session)
    customers = list(await session.scalars(select(Customer).order_by(Customer.id)))
    for customer in rng.sample(customers, int(len(customers) * OPT_OUT_SHARE)):
        await withdraw_consent(session, admin, customer, [rng.choice(list(CampaignChannel))])
    wealthy = filter_to_json(CustomerFilter(tier=[CustomerTier.WEALTH, CustomerTier.PRIVATE]))
    everyone = filter_to_json(CustomerFilter())
    month, fortnight = today + timedelta(days=30), today + timedelta(days=14)
    plans = (
        Plan("高净值客户年末理财沙龙邀约", CampaignChannel.PHONE, today, month, wealthy),
        Plan(
            "大额存单新品短信推荐",
            CampaignChannel.SMS,
            today,
            fortnight,
            everyone,
            product_code="DEP-CD-3Y",
        ),
        Plan("信用卡春节用卡礼遇 (草稿)", CampaignChannel.APP, month, None, everyone),
    )
    running, completed, _ = [await create_campaign(session, admin, plan) for plan in plans]
    for campaign in (running, completed):
        await launch_campaign(
            session, options.runtime.plugins, admin, campaign.id, today, zone=settings.zone
        )
        members = await session.scalars(
            select(Membership).where(Membership.campaign_id == campaign.id)
        )
        for membership in list(members):
            customer = await session.get_one(Customer, membership.customer_id)
            path = rng.choice(PATHS)
            for status in path:
                await record_response(session, admin, campaign.id, customer, Answer(status), today)
    await move_campaign(session, admin, completed.id, CampaignStatus.COMPLETED)
    marketers = await demo_staff(session, options.runtime.permissions, Role.MARKETING)
    managers = await demo_staff(session, options.runtime.permissions, Role.RELATIONSHIP_MANAGER)
    salon = await plan_salon(session, options, marketers[0])
    await seed_seminar(session, options, marketers[0])
    await seed_leads(session, options, managers, running, salon)
    await seed_referrals(session, options, managers)
    await hold_salon(session, options, marketers[0], salon)
