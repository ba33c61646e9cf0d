"""A few hundred realistic customers across the demo branches and their managers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Role
from core.columns import utcnow
from core.hookspecs import DemoOptions
from plugins.customer.identity import credit_code_check_character
from plugins.customer.managers import assign_manager
from plugins.customer.models import (
    ContactChannel,
    ContactDirection,
    CustomerKind,
    CustomerTag,
    FollowUp,
    Interaction,
    RiskProfile,
)
from plugins.customer.registration import Registration, register_customer
from plugins.security.demo import demo_administrator
from plugins.security.models import Branch, User, UserRole

CUSTOMERS_PER_BRANCH = 120
CORPORATE_SHARE = 0.15
TAGS = ("高净值", "企业主", "代发工资", "退休", "留学家庭", "新客户", "理财偏好", "房贷客户")


def social_credit_code(rng: random.Random, region: str) -> str:
    """A well-formed unified social credit code: a company (9, 1) registered in ``region``."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return body + credit_code_check_character(body)


async def seed(session: AsyncSession, options: DemoOptions) -> None:
    rng = random.Random(options.seed)  # noqa: S311  (reproducible demo data, not secrets)
    fake = Faker("zh_CN")
    fake.seed_instance(options.seed)
    head_office = await demo_administrator(session)
    today = utcnow().date()
    for branch in await session.scalars(select(Branch).order_by(Branch.code)):
        managers = list(
            await session.scalars(
                select(User.id)
                .join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
                .where(User.branch_id == branch.id, UserRole.role == Role.RELATIONSHIP_MANAGER)
            )
        )
        for _ in range(CUSTOMERS_PER_BRANCH):
            corporate = rng.random() < CORPORATE_SHARE
            customer = await register_customer(
                session,
                head_office,
                Registration(
                    kind=CustomerKind.CORPORATE if corporate else CustomerKind.INDIVIDUAL,
                    name=fake.company() if corporate else fake.name(),
                    id_number=social_credit_code(rng, "110105")
                    if corporate
                    else fake.ssn(min_age=22, max_age=85),
                    branch_code=branch.code,
                    phone=fake.phone_number(),
                    email=fake.company_email() if corporate else fake.free_email(),
                ),
                today=today,
            )
            if managers and rng.random() < 0.9:
                manager = rng.choice(managers)
                await assign_manager(
                    session, customer, manager, "Demo portfolio.", head_office.user_id
                )
                _contact_history(session, rng, customer.id, manager, today)  # type: ignore[arg-type]
            if rng.random() < 0.7:
                customer.risk_profile = rng.choice(list(RiskProfile))
                customer.risk_assessed_on = today - timedelta(days=rng.randrange(0, 500))
            session.add_all(
                CustomerTag(customer_id=customer.id, tag=tag)  # type: ignore[arg-type]
                for tag in rng.sample(TAGS, rng.randrange(0, 3))
            )
        await session.flush()


CONTACTS = (
    (ContactChannel.CALL, ContactDirection.OUTBOUND, "定期回访，客户对现有理财产品满意。"),
    (ContactChannel.VISIT, ContactDirection.INBOUND, "客户到网点咨询大额存单利率。"),
    (ContactChannel.WECHAT, ContactDirection.OUTBOUND, "推送新发基金信息，客户表示考虑。"),
    (ContactChannel.MEETING, ContactDirection.OUTBOUND, "上门拜访企业主，了解经营资金需求。"),
    (ContactChannel.SMS, ContactDirection.OUTBOUND, "生日祝福短信。"),
)
FOLLOW_UPS = ("回访理财到期安排", "提交风险测评问卷", "邀请参加财富讲座", "跟进贷款需求")


def _contact_history(
    session: AsyncSession, rng: random.Random, customer_id: int, manager_id: int, today: date
) -> None:
    """A few contacts over the last half year, and sometimes a follow-up still to do."""
    for _ in range(rng.randrange(0, 4)):
        channel, direction, summary = rng.choice(CONTACTS)
        occurred = datetime.combine(
            today - timedelta(days=rng.randrange(1, 180)), time(rng.randrange(9, 18)), UTC
        )
        session.add(
            Interaction(
                customer_id=customer_id,
                channel=channel,
                direction=direction,
                summary=summary,
                staff_id=manager_id,
                occurred_at=occurred,
            )
        )
    if rng.random() < 0.3:
        session.add(
            FollowUp(
                customer_id=customer_id,
                assignee_id=manager_id,
                created_by_id=manager_id,
                title=rng.choice(FOLLOW_UPS),
                due_on=today + timedelta(days=rng.randrange(-5, 20)),
            )
        )
