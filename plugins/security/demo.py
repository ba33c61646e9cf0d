"""Demo branches and staff, one of each role, for trying the system out."""

from __future__ import annotations

from faker import Faker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.hookspecs import DemoOptions
from plugins.security.models import User
from plugins.security.services import create_branch, create_user

BRANCHES = (
    ("BJ-001", "北京分行营业部"),
    ("SH-001", "上海分行营业部"),
    ("GZ-001", "广州天河支行"),
)

STAFF = (
    ("admin", "系统管理员", (Role.ADMIN,), None),
    ("auditor", "审计员", (Role.AUDITOR,), None),
    ("marketing", "营销专员", (Role.MARKETING,), None),
    ("bj.manager", None, (Role.BRANCH_MANAGER,), "BJ-001"),
    ("bj.rm1", None, (Role.RELATIONSHIP_MANAGER,), "BJ-001"),
    ("bj.rm2", None, (Role.RELATIONSHIP_MANAGER,), "BJ-001"),
    ("bj.teller", None, (Role.TELLER,), "BJ-001"),
    ("bj.service", None, (Role.SERVICE_AGENT,), "BJ-001"),
    ("sh.manager", None, (Role.BRANCH_MANAGER,), "SH-001"),
    ("sh.rm1", None, (Role.RELATIONSHIP_MANAGER,), "SH-001"),
    ("sh.teller", None, (Role.TELLER,), "SH-001"),
    ("gz.manager", None, (Role.BRANCH_MANAGER,), "GZ-001"),
    ("gz.rm1", None, (Role.RELATIONSHIP_MANAGER,), "GZ-001"),
)


async def seed(session: AsyncSession, options: DemoOptions) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(options.seed)
    for code, name in BRANCHES:
        await create_branch(session, code, name)
    for username, display_name, roles, branch_code in STAFF:
        await create_user(
            session,
            username=username,
            password=options.password,
            display_name=display_name or fake.name(),
            roles=roles,
            branch_code=branch_code,
        )


async def demo_administrator(session: AsyncSession) -> Principal:
    """The demo's head-office administrator, as the principal other plugins'
    seeders act as (scope: everything)."""
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None, "the security plugin seeds the admin first"
    return Principal(
        user_id=admin.id,  # type: ignore[arg-type]
        username=admin.username,
        roles=frozenset({Role.ADMIN}),
        branch_id=None,
        permissions=frozenset(),
    )
