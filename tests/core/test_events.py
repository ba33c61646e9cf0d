from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from core.events import DomainEvent, EventBus, Listener

SESSION: Any = object()


@dataclass(frozen=True)
class CustomerCreated(DomainEvent):
    name: ClassVar[str] = "customer.created"
    customer_id: int


@dataclass(frozen=True)
class CustomerClosed(DomainEvent):
    name: ClassVar[str] = "customer.closed"
    customer_id: int


def recorder(calls: list[tuple[str, Any, Any]], label: str) -> Listener:
    async def listener(event: Any, session: Any) -> None:
        calls.append((label, event, session))

    return listener


async def test_listeners_run_in_plugin_order_with_the_event_and_the_session() -> None:
    calls: list[tuple[str, Any, Any]] = []
    bus = EventBus(
        [
            {"customer.created": recorder(calls, "customer plugin")},
            {"customer.created": recorder(calls, "loyalty plugin")},
        ]
    )
    event = CustomerCreated(customer_id=7)

    await bus.publish(event, SESSION)

    assert calls == [("customer plugin", event, SESSION), ("loyalty plugin", event, SESSION)]


async def test_listeners_for_other_events_do_not_run() -> None:
    calls: list[tuple[str, Any, Any]] = []
    bus = EventBus(
        [{"customer.closed": recorder(calls, "closed"), "customer.created": recorder(calls, "new")}]
    )

    await bus.publish(CustomerClosed(customer_id=7), SESSION)

    assert [label for label, _, _ in calls] == ["closed"]


async def test_an_event_nobody_listens_to_is_fine() -> None:
    await EventBus([]).publish(CustomerCreated(customer_id=7), SESSION)


async def test_a_failing_listener_stops_the_publication() -> None:
    calls: list[tuple[str, Any, Any]] = []

    async def refuse(event: Any, session: Any) -> None:
        raise RuntimeError("refused")

    bus = EventBus([{"customer.created": refuse}, {"customer.created": recorder(calls, "later")}])

    with pytest.raises(RuntimeError, match="refused"):
        await bus.publish(CustomerCreated(customer_id=7), SESSION)
    assert calls == []


def test_listeners_lists_a_copy_in_order() -> None:
    first, second = recorder([], "a"), recorder([], "b")
    bus = EventBus([{"customer.created": first}, {"customer.created": second}])

    listed = bus.listeners("customer.created")
    listed.clear()

    assert bus.listeners("customer.created") == [first, second]
    assert bus.listeners("customer.closed") == []


async def test_a_subscriber_hears_events_until_it_stops() -> None:
    bus = EventBus([])
    heard: list[str] = []

    async def listen(event: Any, session: Any) -> None:
        heard.append(event.name)

    stop = bus.subscribe("customer.created", listen)
    await bus.publish(CustomerCreated(1), SESSION)
    stop()
    await bus.publish(CustomerCreated(2), SESSION)

    assert heard == ["customer.created"]
