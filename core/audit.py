"""The audit trail, as the kernel sees it: what is recorded, about whom, when.

Every mutation is recorded whatever its outcome (``core.graphql`` records it
in the mutation's own transaction, so a committed change is never missing its
record; a refused one is recorded after the rollback), and every read of
unmasked personal data once per request (``schema.extensions``). The kernel
only describes the entry; the plugin that keeps the log answers ``crm_audit``
(the security plugin, as a tamper-evident chain).

Arguments are recorded with personal data and secrets replaced by
:data:`REDACTED`, so the log itself never becomes a copy of what it guards.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from strawberry import UNSET, relay
from strawberry.types.base import StrawberryOptional, get_object_definition

from core.client_address import client_address
from core.db import Mode

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.context import Context

REDACTED = "***"
PERSONAL_OR_SECRET = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "email",
        "address",
        "birth_date",
        "password",
        "current_password",
        "new_password",
        "token",
        "secret",
        "code",
        "totp",
        "totp_code",
        "temporary_password",
    }
)
"""Argument names whose values never reach the log."""


class AuditKind(enum.StrEnum):
    MUTATION = "MUTATION"
    PERSONAL_DATA_READ = "PERSONAL_DATA_READ"


OK = "OK"


@dataclass(frozen=True)
class Actor:
    """Who did it, from where: the signed-in user (none for a failed sign-in
    or an anonymous call) and the request."""

    user_id: int | None
    username: str | None
    roles: tuple[str, ...]
    branch_id: int | None
    request_id: str
    client_address: str | None

    @classmethod
    def of(cls, context: Context) -> Actor:
        principal = context.principal
        request = context.request
        trusted = context.runtime.settings.trusted_proxies
        address = client_address(request.scope, trusted) if request is not None else None
        return cls(
            user_id=principal.user_id if principal else None,
            username=principal.username if principal else None,
            roles=tuple(sorted(role.value for role in principal.roles)) if principal else (),
            branch_id=principal.branch_id if principal else None,
            request_id=context.request_id,
            client_address=address or None,
        )


@dataclass(frozen=True)
class AuditEntry:
    """One thing to record: the operation, its outcome (``OK`` or the error
    code) and the objects it touched, as global IDs."""

    kind: AuditKind
    operation: str
    outcome: str
    objects: tuple[str, ...] = ()
    arguments: Mapping[str, Any] = field(default_factory=dict)


async def record_personal_data_read(context: Context, operation: str) -> None:
    """Record that this request showed the personal data of
    ``context.personal_data_read``, in a transaction of its own (a query's
    session is read-only)."""
    entry = AuditEntry(
        AuditKind.PERSONAL_DATA_READ, operation, OK, tuple(context.personal_data_read)
    )
    async with context.runtime.database.transaction(Mode.WRITE) as session:
        await record(context, session, entry)


async def record(context: Context, session: AsyncSession, entry: AuditEntry) -> None:
    """Hand ``entry`` to the plugins that keep the log, in ``session``'s transaction."""
    actor = Actor.of(context)
    for answer in context.runtime.plugins.hook.crm_audit(session=session, actor=actor, entry=entry):
        if answer is not None:
            await answer


def mutation_entry(
    operation: str, arguments: Mapping[str, Any], outcome: str, payload: Any = None
) -> AuditEntry:
    """The entry of a mutation: its arguments redacted, and every object it
    named (global IDs in its arguments) or returned (nodes in its payload)."""
    named = [str(value) for value in _walk(arguments) if isinstance(value, relay.GlobalID)]
    returned = payload_objects(payload) if payload is not None else []
    objects = tuple(dict.fromkeys([*named, *returned]))
    return AuditEntry(AuditKind.MUTATION, operation, outcome, objects, redacted(arguments))


def redacted(value: Any, name: str | None = None) -> Any:
    """``value`` as plain JSON, personal data and secrets replaced."""
    if name in PERSONAL_OR_SECRET and value is not None:
        return REDACTED
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: redacted(v, k) for k, v in value.items() if v is not UNSET}
    if isinstance(value, list | tuple):
        return [redacted(item, name) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, relay.GlobalID | Decimal):
        return str(value)
    return value


def _walk(value: Any) -> Sequence[Any]:
    """Every leaf value inside ``value`` (inputs, lists, mappings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _walk(item)]
    return [value]


def payload_objects(payload: Any) -> list[str]:
    """The global IDs of the nodes a payload returns (``payload.customer``...)."""
    definition = get_object_definition(type(payload))
    if definition is None:
        return []
    found = []
    for payload_field in definition.fields:
        value = getattr(payload, payload_field.python_name, None)
        kind = payload_field.type
        while isinstance(kind, StrawberryOptional):
            kind = kind.of_type
        node = get_object_definition(kind)
        if value is None or node is None or getattr(value, "id", None) is None:
            continue
        if any(issubclass(base, relay.Node) for base in node.origin.__mro__):
            found.append(str(relay.GlobalID(node.name, str(value.id))))
    return found
