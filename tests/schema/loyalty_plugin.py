"""A third-party plugin, as a bank might write one: a root field and a field on ``User``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.authorization import Permission, Role
from core.graphql import extends, query
from core.hookspecs import hookimpl

name = "loyalty"
requires = ("security",)

LOYALTY_READ = "loyalty.read"


@strawberry.type
class LoyaltyQuery:
    @query(permission=LOYALTY_READ)
    def loyalty_points_per_yuan(self) -> int:
        """Points earned per yuan spent."""
        return 3


@extends("User")
@strawberry.type
class UserLoyalty:
    @strawberry.field(description="The staff member's loyalty-programme badge.")
    def loyalty_badge(self, root: strawberry.Parent[object], info: Info) -> str:
        return f"gold:{root.username}"  # type: ignore[attr-defined]


@hookimpl
def crm_query() -> type:
    return LoyaltyQuery


@hookimpl
def crm_type_extensions() -> list[type]:
    return [UserLoyalty]


@hookimpl
def crm_permissions() -> list[Permission]:
    return [Permission(LOYALTY_READ, "See the loyalty programme.")]


@hookimpl
def crm_role_grants() -> dict[Role, list[str]]:
    return {Role.ADMIN: [LOYALTY_READ]}
