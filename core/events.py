"""In-process domain events, so plugins react to each other without imports.

An event is a frozen dataclass with a class-level ``name`` (``"customer.created"``).
The plugin that owns the fact publishes it; any plugin listens through the
``crm_event_listeners`` hook. Listeners run in the publisher's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

Listener = Callable[[Any, AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class DomainEvent:
    """Base for events; subclasses set ``name``."""

    name: ClassVar[str]


class EventBus:
    """Delivers each published event to its listeners, in plugin dependency order."""

    def __init__(self, listener_maps: Iterable[Mapping[str, Listener]]) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        for listeners in listener_maps:
            for name, listener in listeners.items():
                self._listeners[name].append(listener)

    def subscribe(self, name: str, listener: Listener) -> Callable[[], None]:
        """Listen to ``name`` from now on; call what this returns to stop."""
        self._listeners[name].append(listener)
        return lambda: self._listeners[name].remove(listener)

    def listeners(self, name: str) -> list[Listener]:
        return list(self._listeners.get(name, ()))

    async def publish(self, event: DomainEvent, session: AsyncSession) -> None:
        for listener in self._listeners.get(event.name, ()):
            await listener(event, session)
