"""Demo referrals: a relationship manager refers four of their customers to
specialist teams, and a colleague of the same branch, working as the
specialist, takes them up: one is still open, one accepted, one declined and
one won."""

from __future__ import annotations

import random
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.hookspecs import DemoOptions
from plugins.customer.models import Customer
from plugins.marketing.leads.models import ReferralStatus, SpecialistTeam
from plugins.marketing.leads.referrals import (
    ReferralResult,
    accept_referral,
    close_referral,
    decline_referral,
    refer_customer,
)

R = ReferralStatus
REFERRALS = (
    (SpecialistTeam.WEALTH_ADVISORY, "定期存款下月到期，客户希望了解资产配置方案。", R.OPEN),
    (SpecialistTeam.INSURANCE, "客户咨询子女教育金和养老年金保险。", R.ACCEPTED),
    (SpecialistTeam.LENDING, "客户经营的餐饮企业有开新店的资金需求。", R.DECLINED),
    (SpecialistTeam.PRIVATE_BANKING, "客户金融资产接近私人银行门槛，希望获得专属服务。", R.WON),
)
DECLINED_BECAUSE = "企业成立不满两年，暂不符合经营贷准入条件。"
WON_OUTCOME = "客户认购私募股权基金，并签约家族信托意向书。"
WON_AMOUNT = Decimal("3000000.00")


async def seed_referrals(
    session: AsyncSession, options: DemoOptions, managers: list[Principal]
) -> None:
    """Referrals between the first two relationship managers of one branch;
    none if no branch has two."""
    rng = random.Random(options.seed + 15)  # noqa: S311  (reproducible demo data, not secrets)
    pairs = [(a, b) for a, b in pairwise(managers) if a.branch_id == b.branch_id]
    if not pairs:
        return
    referrer, specialist = pairs[0]
    portfolio = list(
        await session.scalars(
            select(Customer)
            .where(Customer.relationship_manager_id == referrer.user_id)
            .order_by(Customer.id)
        )
    )
    for customer, (team, reason, status) in zip(
        rng.sample(portfolio, len(REFERRALS)), REFERRALS, strict=True
    ):
        referral = await refer_customer(session, referrer, customer, team, reason)
        if status is R.DECLINED:
            await decline_referral(session, specialist, referral.id, DECLINED_BECAUSE)
        elif status is not R.OPEN:
            await accept_referral(session, specialist, referral.id)
        if status is R.WON:
            await close_referral(
                session, specialist, referral.id, ReferralResult.WON, WON_OUTCOME, WON_AMOUNT
            )
