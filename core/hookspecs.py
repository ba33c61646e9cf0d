"""Every extension point a CRM plugin can implement.

A plugin is a module (usually ``plugins/<name>/plugin.py``) with two
attributes and any number of ``@hookimpl`` functions::

    name = "loyalty"                 # unique; what CRM_PLUGINS names
    requires = ("security", "customer")  # plugins that must be enabled too

    @hookimpl
    def crm_query():
        return LoyaltyQuery

It is found through the entry-point group ``crm.plugins`` (built-ins register
there too). Hooks are called for enabled plugins only. Where order matters
(demo data), plugins are visited in dependency order: a plugin after every
plugin it requires.

A plugin may also set ``hookspecs`` to a module of its own ``@hookspec``
functions: extension points for the plugins that require it (the customer
plugin asks through them for assets, timeline events and merges).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.audit import Actor, AuditEntry
    from core.authorization import Permission, Principal, Role
    from core.context import Context
    from core.end_of_day import EndOfDayStep
    from core.runtime import Runtime
    from core.settings import Settings

PROJECT = "crm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def crm_migrations() -> Path | None:
    """The folder of this plugin's Alembic revisions, or None if it has no tables.

    The plugin's first revision carries ``branch_labels = ("<plugin name>",)``
    and ``down_revision = None``; a revision that needs another plugin's tables
    names that plugin's revision in ``depends_on``. ``crm db upgrade`` applies
    ``<name>@head`` for every enabled plugin.
    """


@hookspec
def crm_query() -> type | None:
    """A ``@strawberry.type`` whose fields are merged into the root ``Query``.

    Every field must be declared with ``core.graphql.query(permission=...)``:
    the schema refuses to build around a root field without a permission.
    """


@hookspec
def crm_mutation() -> type | None:
    """A ``@strawberry.type`` whose fields are merged into the root ``Mutation``.

    Every field must be declared with ``core.graphql.mutation(permission=...)``,
    which also runs it in its own transaction.
    """


@hookspec
def crm_types() -> Sequence[type]:
    """Extra strawberry types to put in the schema even if no field returns them
    directly (for instance ``Node`` implementations reached only through ``node(id:)``)."""


@hookspec
def crm_type_extensions() -> Sequence[type]:
    """Fields this plugin adds to types other plugins own.

    Each item is a ``@strawberry.type`` decorated with
    ``@core.graphql.extends("TypeName")``; its fields are appended to that
    GraphQL type. A field resolver receives the parent object as ``root``.
    Adding to a type no enabled plugin defines, or a field name that is
    already taken, stops start-up with a message naming both.
    """


@hookspec
def crm_permissions() -> Sequence[Permission]:
    """The permissions this plugin defines (``"customer.read"``, ...)."""


@hookspec
def crm_role_grants() -> Mapping[Role, Sequence[str]]:
    """Which roles hold which permissions, by permission name.

    Grants from every plugin are unioned; a grant of a permission no enabled
    plugin defines stops start-up.
    """


@hookspec(firstresult=True)
def crm_authenticate(context: Context, token: str) -> Awaitable[Principal | None] | None:
    """Turn a bearer token into a signed-in principal.

    Return an awaitable that yields the ``Principal``, or yields None for a
    token that is not valid (forged, expired, revoked, user disabled). Return
    None (not an awaitable) to let another plugin try. The first plugin to
    answer wins. ``context.session`` is open.
    """


@hookspec
def crm_event_listeners() -> Mapping[str, Callable[[Any, AsyncSession], Awaitable[None]]]:
    """Domain-event handlers, by event name (``"customer.created"``).

    A handler runs inside the transaction of the mutation that published the
    event, so what it writes commits or rolls back with it. Keep handlers
    quick; raise ``BusinessError`` to refuse the whole mutation.
    """


@hookspec
def crm_cli(app: typer.Typer, settings: Settings) -> None:
    """Add sub-commands to the ``crm`` command line (``app.command()`` or ``app.add_typer()``)."""


@hookspec
def crm_demo_data() -> Callable[[AsyncSession, DemoOptions], Awaitable[None]] | None:
    """An async function that seeds this plugin's demo data, run by ``crm demo``.

    Called in dependency order, in one transaction, after what the plugins
    this one requires have seeded. Use Faker's ``zh_CN`` locale for names.
    """


@hookspec
def crm_reference_data() -> Callable[[AsyncSession], Awaitable[None]] | None:
    """An async function that inserts the rows this plugin cannot work without
    (standard products, ...), run after every ``crm db upgrade``.

    It must be idempotent: insert what is missing, never overwrite what an
    operator changed. Mark its tables with ``core.reference_data.REFERENCE_TABLE``.
    """


@hookspec
def crm_end_of_day_steps() -> Sequence[EndOfDayStep]:
    """This plugin's steps of the end-of-day batch (``core.end_of_day``), in the
    order they run within their phase. Each runs inside the one transaction that
    closes the business date: it must be set-based (SQL over all rows, or chunks
    of them), never one statement per account or customer.
    """


@hookspec
def crm_audit(session: AsyncSession, actor: Actor, entry: AuditEntry) -> Awaitable[None] | None:
    """Keep ``entry`` (``core.audit``), done by ``actor``, in the audit log, in
    ``session``'s transaction: a mutation's record commits or rolls back with
    the mutation. Raising makes the operation fail: nothing goes unrecorded.
    """


class DemoOptions:
    """What ``crm demo`` passes to every seeder."""

    def __init__(self, password: str, runtime: Runtime, seed: int = 20261129) -> None:
        self.password = password
        self.runtime = runtime
        self.seed = seed
