"""What every resolver gets as ``info.context``: one per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.authorization import Principal
from core.errors import NotAuthenticated
from core.events import DomainEvent

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from core.runtime import Runtime

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchLoad = Callable[["Context", Sequence[K]], Awaitable[Sequence[V]]]
"""A loader's batch function: keys in, one result per key in the same order."""


@dataclass
class Context:
    """The request, the signed-in principal, the database session and the loaders.

    ``session`` is opened by the unit-of-work extension when the operation
    starts executing (see ``schema.extensions``). Loaders are created lazily,
    one per batch function per request, so nothing is cached across requests
    or across users.
    """

    runtime: Runtime
    request: Request | None = None
    response: Response | None = None
    """Status and headers set on it go out with the answer (e.g. 429 and Retry-After)."""
    request_id: str = ""
    token: str | None = None
    principal: Principal | None = None
    personal_data_read: dict[str, None] = field(default_factory=dict)
    """Global IDs of the objects whose personal data this request showed
    unmasked (insertion-ordered), recorded in the audit log when it ends."""
    afterwards: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Work for once the request's transaction has ended and its connection is
    back in the pool (``after_request``)."""
    _session: AsyncSession | None = None
    _loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("no database session: the operation has not started executing")
        return self._session

    @property
    def user(self) -> Principal:
        """The signed-in principal; raises UNAUTHENTICATED when nobody is."""
        if self.principal is None:
            raise NotAuthenticated()
        return self.principal

    def attach(self, session: AsyncSession | None) -> None:
        """Give the request its database session (None when the operation ends)."""
        self._session = session

    def after_request(self, work: Callable[[], Awaitable[None]]) -> None:
        """Do ``work`` in a transaction of its own once the request's has ended.

        For bookkeeping that must not wait on the request: a second transaction
        opened during the request would need a second pooled connection while
        the request holds one (on SQLite, the write lock its own request holds).
        It is not done if the request fails before it ends."""
        self.afterwards.append(work)

    async def publish(self, event: DomainEvent) -> None:
        """Tell every listening plugin, inside this request's transaction."""
        await self.runtime.events.publish(event, self.session)

    def loader(self, batch_load: BatchLoad[K, V]) -> DataLoader[K, V]:
        """This request's DataLoader for ``batch_load``, created on first use."""
        loader = self._loaders.get(batch_load)
        if loader is None:

            async def load(keys: list[K]) -> Sequence[V]:
                return await batch_load(self, keys)

            loader = DataLoader(load_fn=load)
            self._loaders[batch_load] = loader
        return loader

    def forget_loaded(self) -> None:
        """Drop every loader's cache (after a mutation commits, what they hold is stale)."""
        self._loaders.clear()
