"""What the customer plugin tells other plugins (``crm_event_listeners``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.events import DomainEvent
from plugins.customer.models import CustomerTier


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    name = "customer.registered"
    customer_id: int
    branch_id: int


@dataclass(frozen=True)
class ManagerAssigned(DomainEvent):
    name = "customer.manager_assigned"
    customer_id: int
    manager_id: int | None
    previous_manager_id: int | None


@dataclass(frozen=True)
class TierChanged(DomainEvent):
    """An upgrade is a marketing moment; a downgrade a retention alert."""

    name = "customer.tier_changed"
    customer_id: int
    from_tier: CustomerTier
    to_tier: CustomerTier
    assets: Decimal

    @property
    def is_upgrade(self) -> bool:
        order = list(CustomerTier)
        return order.index(self.to_tier) > order.index(self.from_tier)


@dataclass(frozen=True)
class CustomersMerged(DomainEvent):
    name = "customer.merged"
    survivor_id: int
    duplicate_id: int
