"""A relationship manager's portfolio, handing it over, and branch policy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, mutation, node_id
from core.loaders import all_per_key
from core.money import Money
from plugins.customer.api.customers import reads_customers
from plugins.customer.assets import assets_of
from plugins.customer.managers import hand_over_portfolio
from plugins.customer.models import (
    BranchPolicy,
    Customer,
    CustomerStatus,
    CustomerTier,
    ManagerAssignment,
)
from plugins.customer.permissions import CUSTOMER_ASSIGN
from plugins.customer.scope import in_scope
from plugins.security import loaders as staff
from plugins.security.services import branch_by_code
from plugins.security.types import Branch, User

CNY = "CNY"
NO_MONEY = Decimal("0.00")


@strawberry.type(description="The customers of one tier in a portfolio.")
class TierShare:
    tier: CustomerTier
    customers: int
    assets: Money


@strawberry.type(description="The active customers a relationship manager looks after.")
class Portfolio:
    customers: int
    assets: Money
    by_tier: list[TierShare]


async def portfolios_by_manager_id(context: Context, ids: Sequence[int]) -> list[Portfolio]:
    """Every asked manager's portfolio, within the viewer's scope, in two round trips:
    one statement for the customers, one asset query per plugin that holds assets."""
    rows = list(
        await context.session.execute(
            select(Customer.id, Customer.relationship_manager_id, Customer.tier).where(
                Customer.relationship_manager_id.in_(ids),  # type: ignore[union-attr]
                Customer.status == CustomerStatus.ACTIVE,
                in_scope(context.user),
            )
        )
    )
    assets = await assets_of(context.session, context.runtime.plugins, [r.id for r in rows])
    counts: dict[int, dict[CustomerTier, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        counts[row.relationship_manager_id][CustomerTier(row.tier)].append(assets[row.id])
    portfolios = []
    for manager_id in ids:
        tiers = counts[manager_id]
        shares = [
            TierShare(
                tier=tier,
                customers=len(tiers[tier]),
                assets=Money(amount=sum(tiers[tier], NO_MONEY), currency=CNY),
            )
            for tier in CustomerTier
        ]
        portfolios.append(
            Portfolio(
                customers=sum(share.customers for share in shares),
                assets=Money(
                    amount=sum((share.assets.amount for share in shares), NO_MONEY), currency=CNY
                ),
                by_tier=shares,
            )
        )
    return portfolios


@extends("User")
@strawberry.type
class UserPortfolio:
    @strawberry.field(
        description="The active customers this user manages that you may see; null "
        "without customer.read."
    )
    async def portfolio(self, root: strawberry.Parent[object], info: Info) -> Portfolio | None:
        context: Context = info.context
        if not reads_customers(info):
            return None
        return await context.loader(portfolios_by_manager_id).load(root.id)  # type: ignore[attr-defined]


@strawberry.type(description="One change of a customer's relationship manager.")
class ManagerChange:
    reason: str
    assigned_at: datetime

    @strawberry.field(description="Null when the customer was left without a manager.")
    async def manager(self, root: strawberry.Parent[ManagerAssignment], info: Info) -> User | None:
        if root.manager_id is None:
            return None
        return await info.context.loader(staff.users_by_id).load(root.manager_id)

    @strawberry.field
    async def previous_manager(
        self, root: strawberry.Parent[ManagerAssignment], info: Info
    ) -> User | None:
        if root.previous_manager_id is None:
            return None
        return await info.context.loader(staff.users_by_id).load(root.previous_manager_id)


async def manager_history_by_customer_id(
    context: Context, ids: Sequence[int]
) -> list[list[ManagerAssignment]]:
    rows = await context.session.scalars(
        select(ManagerAssignment)
        .where(ManagerAssignment.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(ManagerAssignment.assigned_at.desc(), ManagerAssignment.id.desc())  # type: ignore[attr-defined, union-attr]
    )
    return all_per_key(ids, rows, lambda row: row.customer_id)


@extends("Customer")
@strawberry.type
class CustomerManagerHistory:
    @strawberry.field(description="Every change of relationship manager, newest first.")
    async def manager_history(
        self, root: strawberry.Parent[Customer], info: Info
    ) -> list[ManagerChange]:
        return await info.context.loader(manager_history_by_customer_id).load(root.id)  # type: ignore[return-value]


@strawberry.input
class HandOverPortfolioInput:
    from_user_id: relay.GlobalID
    to_user_id: relay.GlobalID
    reason: str


@strawberry.type
class HandOverPayload:
    moved: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetBranchPolicyInput:
    branch_code: str
    auto_assign_managers: bool = strawberry.field(
        description="Give each new customer the branch's least-loaded relationship manager."
    )


@strawberry.type
class BranchPolicyPayload:
    branch: Branch | None = None
    auto_assign_managers: bool | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PortfolioMutation:
    @mutation(permission=CUSTOMER_ASSIGN)
    async def hand_over_portfolio(
        self, info: Info, input: HandOverPortfolioInput
    ) -> HandOverPayload:
        """Give every active customer of one relationship manager to another of the
        same branch (a manager leaves or moves); each move is kept in the history."""
        context: Context = info.context
        from_id = node_id(input.from_user_id, "User")
        if from_id is None:
            raise BusinessError(
                "NOT_FOUND", "There is no such member of staff.", ["input", "fromUserId"]
            )
        moved = await hand_over_portfolio(
            context.session,
            from_id,
            node_id(input.to_user_id, "User"),  # type: ignore[arg-type]
            context.user.scope.branch_id,
            input.reason,
            context.user.user_id,
        )
        return HandOverPayload(moved=moved)

    @mutation(permission=CUSTOMER_ASSIGN)
    async def set_branch_policy(
        self, info: Info, input: SetBranchPolicyInput
    ) -> BranchPolicyPayload:
        """Decide how a branch looks after its new customers."""
        context: Context = info.context
        branch = await branch_by_code(context.session, input.branch_code)
        scope = context.user.scope.branch_id
        if branch is None or (scope is not None and branch.id != scope):
            raise BusinessError(
                "NOT_FOUND", "There is no such branch you manage.", ["input", "branchCode"]
            )
        policy = await context.session.get(BranchPolicy, branch.id) or BranchPolicy(
            branch_id=branch.id  # type: ignore[arg-type]
        )
        policy.auto_assign_managers = input.auto_assign_managers
        context.session.add(policy)
        return BranchPolicyPayload(branch=branch, auto_assign_managers=policy.auto_assign_managers)  # type: ignore[arg-type]
