"""Who may do what, and on which rows: the one authorization model.

Roles are fixed by the API contract. Permissions are named by the plugins
that define them (``crm_permissions``), and granted to roles by any plugin
(``crm_role_grants``); :class:`PermissionTable` is their union, built once at
start-up. A :class:`Principal` carries the permissions its roles hold and the
:class:`DataScope` that plugins apply when they select rows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import strawberry

from core.errors import ConfigurationError


@strawberry.enum(description="A staff role; each grants a set of permissions.")
class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    BRANCH_MANAGER = "BRANCH_MANAGER"
    RELATIONSHIP_MANAGER = "RELATIONSHIP_MANAGER"
    TELLER = "TELLER"
    SERVICE_AGENT = "SERVICE_AGENT"
    MARKETING = "MARKETING"
    AUDITOR = "AUDITOR"


@dataclass(frozen=True)
class Permission:
    """A named right, e.g. ``customer.read``; ``description`` is shown to administrators."""

    name: str
    description: str


class Access(enum.Enum):
    """Root fields that need no named permission say so explicitly."""

    ANYONE = "anyone"
    """Callable without signing in (``login``)."""
    SIGNED_IN = "signed in"
    """Any signed-in user (``me``); the field applies data scope itself."""


@dataclass(frozen=True)
class DataScope:
    """Which customers' data a principal may reach.

    ``branch_id`` None means every branch (head office). ``portfolio_of`` set
    means only the customers that user manages (or has been shared with).
    Plugins that hold customer data filter their selects by it.
    """

    branch_id: int | None = None
    portfolio_of: int | None = None

    @property
    def is_everything(self) -> bool:
        return self.branch_id is None and self.portfolio_of is None


BRANCH_WIDE_ROLES = frozenset(Role) - {Role.RELATIONSHIP_MANAGER}


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    user_id: int
    username: str
    roles: frozenset[Role]
    branch_id: int | None
    permissions: frozenset[str]
    session_id: str = ""
    must_change_password: bool = False
    """Signed in with a password someone else set: until it is changed, only
    what any signed-in user may do is allowed (changing it, signing out)."""

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def scope(self) -> DataScope:
        """Head-office users see everything; a relationship manager with no other
        role sees their own portfolio; anyone else sees their branch."""
        if self.branch_id is None:
            return DataScope()
        if self.roles & BRANCH_WIDE_ROLES:
            return DataScope(branch_id=self.branch_id)
        return DataScope(branch_id=self.branch_id, portfolio_of=self.user_id)


class PermissionTable:
    """Every permission the enabled plugins define, and which roles hold each."""

    def __init__(
        self,
        permissions: Iterable[Permission],
        grants: Iterable[Mapping[Role, Sequence[str]]],
    ) -> None:
        self.permissions: dict[str, Permission] = {}
        for permission in permissions:
            if permission.name in self.permissions:
                raise ConfigurationError(f"permission {permission.name!r} is defined twice")
            self.permissions[permission.name] = permission
        self.by_role: dict[Role, set[str]] = {role: set() for role in Role}
        for grant in grants:
            for role, names in grant.items():
                for name in names:
                    if name not in self.permissions:
                        raise ConfigurationError(
                            f"role {role.value} is granted {name!r}, which no enabled plugin "
                            "defines"
                        )
                    self.by_role[Role(role)].add(name)

    def for_roles(self, roles: Iterable[Role]) -> frozenset[str]:
        return frozenset().union(*(self.by_role[role] for role in roles))

    def require_defined(self, name: str, where: str) -> None:
        if name not in self.permissions:
            raise ConfigurationError(f"{where} requires permission {name!r}, which is not defined")
