"""What orders needs from storage and from other contexts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from commerce.fulfilment.models import Shipment
from commerce.orders.models import IdempotencyRecord, Order, OrderStatus, TimelineEntry


@dataclass(frozen=True)
class OrderWrite:
    """One atomic change to an order's partition: conditional on the order as it was read (status,
    timeline_seq, stored task token), it may move the status, append a timeline entry, store or
    drop the waiting task's token, release or deduct the stock, write the shipment (conditional on
    its version) and claim a partner webhook's event id (a duplicate fails the whole write)."""

    order: Order
    to: OrderStatus | None = None  # None: the status stays
    entry: TimelineEntry | None = None  # None: the order item is not touched (a shipment-only write)
    task_token: str | None = None  # stored when given ...
    keep_token: bool = False  # ... left as it is when True; otherwise removed
    release: bool = False  # the order's reservations go back to available
    deduct_from: str | None = None  # a warehouse: the goods left, on_hand and reserved go down
    leave_holds: bool = False  # out of the holds index (reserved_until stays as a record)
    shipment: Shipment | None = None  # written with version + 1, conditional on its version
    claim: str | None = None  # "<partner>#<event id>": must not have been applied before
    attention: dict[str, Any] | None = None  # raised for staff (reconciliation); kept when None
    # other attributes of the order item set in the same update (a None value removes one), e.g. a
    # staff hold, a new shipping address, the amount refunded (docs/back-office.md)
    changes: dict[str, Any] | None = None


class OrderRepository(Protocol):
    def place(self, order: Order, first: TimelineEntry, idempotency: IdempotencyRecord, quote_expires_at: int) -> None:
        """One transaction: idempotency record, order, first timeline entry, quote-used marker and a
        stock reservation per line. Raises IdempotencyConflict, QuoteAlreadyUsed or InsufficientStock."""
        ...

    def idempotency(self, customer_id: str, key: str) -> IdempotencyRecord | None: ...

    def get(self, order_id: str) -> Order | None: ...

    def timeline(self, order_id: str) -> list[TimelineEntry]: ...

    def page(self, customer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]: ...

    def move(
        self,
        order: Order,
        to: OrderStatus,
        entry: TimelineEntry,
        release: bool,
        now: str,
        task_token: str | None = None,
        leave_holds: bool = False,
    ) -> None:
        """Conditional on the order's status and timeline_seq; releases its stock when asked. Stores
        ``task_token`` when given, else removes any stored token. ``leave_holds`` takes the order out
        of the ``holds`` index (its stock stays reserved: the payment phase is over). Raises
        OrderStateConflict when someone else moved it first."""
        ...

    def write(self, change: OrderWrite) -> None:
        """Raises OrderStateConflict when the order or shipment changed meanwhile, DuplicateEvent
        when the claimed partner event was applied before."""
        ...

    def shipment(self, order_id: str) -> Shipment | None: ...

    def store_task_token(self, order: Order, task_token: str) -> None:
        """Stores the waiting task's token, conditional on the order's status and timeline_seq.
        Raises OrderStateConflict when the order moved meanwhile."""
        ...

    def orders_since(self, customer_id: str, since: str) -> int:
        """How many orders the customer placed at or after ``since`` (ISO time), via by_customer."""
        ...


class Workflow(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> bool: ...


class Payments(Protocol):
    """The payments context's public operations orders uses."""

    def state(self, order_id: str) -> dict[str, Any] | None: ...

    def void_if_authorised(self, order_id: str) -> bool: ...

    def release_payment(self, order_id: str) -> str | None:
        """Void an authorisation (or one still in flight), or refund what was captured. Idempotent:
        answers what was done (``voided``, ``refunded``) or None when there was nothing to do."""
        ...

    def task_token(self, order_id: str) -> str | None:
        """The payment wait's task token (stored on the payment record by payments-operate)."""
        ...


class Callback(Protocol):
    """Completes or fails a workflow task waiting with ``.waitForTaskToken``."""

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool: ...

    def fail(self, task_token: str, error: str, cause: str) -> bool: ...
