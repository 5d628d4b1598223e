"""What orders needs from storage and from other contexts."""

from __future__ import annotations

from typing import Any, Protocol

from commerce.orders.models import IdempotencyRecord, Order, OrderStatus, TimelineEntry


class OrderRepository(Protocol):
    def place(self, order: Order, first: TimelineEntry, idempotency: IdempotencyRecord, quote_expires_at: int) -> None:
        """One transaction: idempotency record, order, first timeline entry, quote-used marker and a
        stock reservation per line. Raises IdempotencyConflict, QuoteAlreadyUsed or InsufficientStock."""
        ...

    def idempotency(self, customer_id: str, key: str) -> IdempotencyRecord | None: ...

    def get(self, order_id: str) -> Order | None: ...

    def timeline(self, order_id: str) -> list[TimelineEntry]: ...

    def page(self, customer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]: ...

    def move(self, order: Order, to: OrderStatus, entry: TimelineEntry, release: bool, now: str) -> None:
        """Conditional on the order's status and timeline_seq; releases its stock when asked. Raises
        OrderStateConflict when someone else moved it first."""
        ...


class Workflow(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> bool: ...


class Events(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None: ...


class Payments(Protocol):
    """The payments context's public operations orders uses."""

    def state(self, order_id: str) -> dict[str, Any] | None: ...

    def void_if_authorised(self, order_id: str) -> bool: ...
