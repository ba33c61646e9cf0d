"""What a plugin needs to add to the GraphQL API, in one place.

- :func:`query` and :func:`mutation` declare root fields. Each names the
  permission it needs (or :class:`~core.authorization.Access`): that is the one
  authorization path, checked before the resolver runs, deny by default.
- A mutation runs in its own transaction: committed when its payload has no
  errors, rolled back otherwise. A resolver may also raise
  :class:`~core.errors.BusinessError`; it becomes the payload's ``errors``.
- :func:`extends` marks a type whose fields go onto another plugin's type.
- :class:`UserError` is the contract's business-failure type.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from core.audit import OK, mutation_entry, record
from core.authorization import Access
from core.context import Context
from core.database_errors import RetryLater, database_failure
from core.errors import BusinessError, Forbidden, RequestError
from core.ids import parse_id

T = TypeVar("T")
Requirement = str | Access
INTERNAL = "INTERNAL_SERVER_ERROR"
log = logging.getLogger("crm.graphql")


@strawberry.type(description="A business failure of a mutation.")
class UserError:
    field: list[str] | None = strawberry.field(
        default=None,
        description="Path to the input field at fault, e.g. ['input', 'amount']; "
        "null when no single field is at fault.",
    )
    message: str
    code: str = strawberry.field(
        description="Stable, machine-readable, SCREAMING_SNAKE_CASE, e.g. INSUFFICIENT_FUNDS."
    )

    @classmethod
    def from_error(cls, error: BusinessError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


class Authorize(FieldExtension):
    """The authorization chokepoint of a root field."""

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement

    def check(self, info: Info) -> None:
        if self.requirement is Access.ANYONE:
            return
        context: Context = info.context
        principal = context.user  # raises UNAUTHENTICATED
        if self.requirement is Access.SIGNED_IN:
            return
        if principal.must_change_password:
            raise Forbidden("Change your password first.", "PASSWORD_CHANGE_REQUIRED")
        if not principal.can(self.requirement):
            raise Forbidden()

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        self.check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        self.check(info)
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result


class RunInTransaction(FieldExtension):
    """Commit a mutation whose payload has no errors; roll back anything else;
    record every outcome in the audit log (``core.audit``).

    A raised ``BusinessError`` becomes a payload holding only that error. With
    ``commit_on_error`` a refusal still commits what the resolver wrote (a
    failed sign-in counts towards the lock-out); an unexpected exception never
    does. A success is recorded in the mutation's own transaction; a refusal
    or a failure after the rollback, in a transaction of its own.
    """

    def __init__(self, *, commit_on_error: bool = False) -> None:
        self.commit_on_error = commit_on_error

    def apply(self, field: StrawberryField) -> None:
        self.field = field  # its type may still be a forward reference here

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        context: Context = info.context
        session = context.session

        async def finish(outcome: str, payload: Any = None, *, commit: bool) -> None:
            if not commit:
                await session.rollback()
            entry = mutation_entry(info.field_name, kwargs, outcome, payload)
            await record(context, session, entry)
            await session.commit()
            context.forget_loaded()

        try:
            payload = await next_(source, info, **kwargs)
        except BusinessError as error:
            await finish(error.code, commit=self.commit_on_error)
            return self.field.type(errors=[UserError.from_error(error)])
        except RetryLater:
            await _give_up(context)  # the database failed it: it cannot take a record either
            raise
        except RequestError as error:  # refused before it ran: FORBIDDEN, UNAUTHENTICATED
            await finish((error.extensions or {}).get("code", "REFUSED"), commit=False)
            raise
        except BaseException as failure:
            await _give_up(context)
            # Not a cancellation (the client went away), nor the database failing:
            # a bug, recorded if the database still answers.
            if isinstance(failure, Exception) and database_failure(failure) is None:
                await _record_failure(context, session, info.field_name, kwargs)
            raise
        errors = getattr(payload, "errors", None)
        if errors:
            await finish(errors[0].code, commit=self.commit_on_error)
        else:
            await finish(OK, payload, commit=True)
        return payload


async def _give_up(context: Context) -> None:
    """Roll the mutation back and forget what it loaded."""
    await context.session.rollback()
    context.forget_loaded()


async def _record_failure(
    context: Context, session: Any, operation: str, arguments: dict[str, Any]
) -> None:
    """Record a mutation that failed unexpectedly, if the database still
    answers (the failure itself is what the caller and the logs hear about)."""
    try:
        await record(context, session, mutation_entry(operation, arguments, INTERNAL))
        await session.commit()
    except Exception:
        await session.rollback()
        log.exception("recording a failed mutation in the audit log failed")


def query(
    *, permission: Requirement, description: str | None = None, **options: Any
) -> Callable[[Callable[..., T]], T]:
    """Declare a root ``Query`` field that needs ``permission``."""

    def decorate(resolver: Callable[..., T]) -> T:
        return strawberry.field(  # type: ignore[return-value]
            resolver,
            description=description or inspect.getdoc(resolver),
            extensions=[Authorize(permission)],
            **options,
        )

    return decorate


def mutation(
    *,
    permission: Requirement,
    description: str | None = None,
    commit_on_error: bool = False,
    **options: Any,
) -> Callable[[Callable[..., Awaitable[T]]], T]:
    """Declare a root ``Mutation`` field that needs ``permission`` and runs in
    its own transaction. The resolver must be ``async`` and return a payload
    type with ``errors: list[UserError]`` (every other field defaulting to None)."""

    def decorate(resolver: Callable[..., Awaitable[T]]) -> T:
        if not inspect.iscoroutinefunction(resolver):
            raise TypeError(f"mutation {resolver.__qualname__} must be an async function")
        return strawberry.mutation(  # type: ignore[return-value]
            resolver,
            description=description or inspect.getdoc(resolver),
            # the last is outermost: a refusal to authorize is recorded too
            extensions=[Authorize(permission), RunInTransaction(commit_on_error=commit_on_error)],
            **options,
        )

    return decorate


def requirement_of(field: StrawberryField) -> Requirement | None:
    """The permission a root field was declared with, or None if it has none."""
    for extension in field.extensions:
        if isinstance(extension, Authorize):
            return extension.requirement
    return None


EXTENDS_ATTRIBUTE = "__crm_extends__"


def extends(type_name: str) -> Callable[[type[T]], type[T]]:
    """Mark a ``@strawberry.type`` whose fields are added to GraphQL type ``type_name``."""

    def mark(cls: type[T]) -> type[T]:
        setattr(cls, EXTENDS_ATTRIBUTE, type_name)
        return cls

    return mark


def model_type_check(*models: type) -> Callable[..., bool]:
    """An ``is_type_of`` that accepts the ORM rows a type is served from.

    Resolvers return SQLModel rows directly (no copy into strawberry objects);
    this tells GraphQL which object type a row is when it is returned through an
    interface such as ``Node``.
    """

    def is_type_of(cls: type, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (cls, *models))

    return classmethod(is_type_of)  # type: ignore[return-value]


def int_ids(node_ids: Iterable[str]) -> list[int | None]:
    """Database ids from the ids inside global IDs; None for one no row could have."""
    return [parse_id(node_id) for node_id in node_ids]


def node_id(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The database id in a global ID of ``type_name``; None for any other."""
    return parse_id(global_id.node_id) if global_id.type_name == type_name else None
