"""Demo tickets: about a third of the customers have asked, complained or
requested something in the last weeks, in every status, some with surveys."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.hookspecs import DemoOptions
from plugins.customer.models import Customer
from plugins.security.demo import demo_administrator
from plugins.service.calendar import service_calendar
from plugins.service.complaints import record_complaint
from plugins.service.models import (
    RootCause,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from plugins.service.satisfaction import record_survey
from plugins.service.sla import deadlines_for
from plugins.service.tickets import Opening, open_ticket, transition_ticket

SHARE = 0.35
SUBJECTS = {
    TicketKind.CONSULTATION: ("咨询大额存单利率", "咨询理财产品风险等级", "咨询跨境汇款手续"),
    TicketKind.AFTER_SALES: ("网银登录异常", "银行卡挂失补办", "对账单邮寄地址变更"),
    TicketKind.COMPLAINT: ("柜台等候时间过长", "转账手续费有异议", "理财产品收益与宣传不符"),
    TicketKind.REQUEST: ("开具存款证明", "提高转账限额", "预约大额取现"),
}
PATHS = (
    (),
    (TicketStatus.IN_PROGRESS,),
    (TicketStatus.IN_PROGRESS, TicketStatus.PENDING_CUSTOMER),
    (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED),
    (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED),
)


async def seed(session: AsyncSession, options: DemoOptions) -> None:
    rng = random.Random(options.seed + 6)  # noqa: S311  (reproducible demo data, not secrets)
    settings = options.runtime.settings
    agent = await demo_administrator(session)
    calendar = await service_calendar(session, settings.zone)
    customers = list(await session.scalars(select(Customer).order_by(Customer.id)))
    for customer in rng.sample(customers, int(len(customers) * SHARE)):
        kind = rng.choice(list(TicketKind))
        ticket = await open_ticket(
            session,
            settings,
            agent,
            customer,
            Opening(
                kind=kind,
                priority=rng.choices(list(TicketPriority), weights=(2, 5, 2, 1))[0],
                subject=rng.choice(SUBJECTS[kind]),
                description="客户来电/到店反映，详见沟通记录。",
                channel=rng.choice(list(TicketChannel)),
            ),
        )
        opened = utcnow() - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
        due = await deadlines_for(
            session, calendar, ticket.kind, ticket.priority, ticket.tier, opened
        )
        ticket.created_at = opened
        ticket.response_due_at, ticket.resolution_due_at = (
            due.response_due_at,
            due.resolution_due_at,
        )
        session.add(ticket)
        if kind is TicketKind.COMPLAINT:
            root_cause = rng.choice(list(RootCause))
            await record_complaint(session, agent, ticket.id, root_cause, None, None)
        for status in rng.choice(PATHS):
            note = "已向客户解释并处理完毕。" if status is TicketStatus.RESOLVED else None
            await transition_ticket(session, settings, agent, ticket.id, status, note)
        if ticket.status is TicketStatus.CLOSED and rng.random() < 0.7:
            await record_survey(
                session,
                settings,
                agent,
                ticket.id,
                rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 5, 6))[0],
                rng.randint(3, 10),
                None,
            )
