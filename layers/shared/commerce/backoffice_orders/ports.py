"""What the back office's order screens need from storage and from the other contexts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from commerce.backoffice_orders.listing import IndexReader
from commerce.backoffice_orders.models import Note, OrderPartition, RefundRecord, ResendRecord
from commerce.fulfilment.models import Shipment
from commerce.notifications.models import Email, OrderEvent, SentEmail
from commerce.orders.models import Order
from commerce.orders.ports import OrderWrite


class StaffOrders(IndexReader, Protocol):
    """The orders table as staff use it: the order partition, its staff records, the indexes."""

    def get(self, order_id: str) -> Order | None: ...

    def item(self, order_id: str) -> dict[str, Any] | None:
        """The stored order item (its index keys included), for the order-id look-up."""
        ...

    def shipment(self, order_id: str) -> Shipment | None: ...

    def write(self, change: OrderWrite) -> None:
        """Raises OrderStateConflict when the order changed since it was read."""
        ...

    def partition(self, order_id: str) -> OrderPartition | None:
        """The order, its timeline, shipment, notes, resends and refunds: one query."""
        ...

    def add_note(self, order_id: str, note: Note) -> None: ...

    def add_resend(self, order_id: str, resend: ResendRecord) -> None: ...


class RefundLedger(Protocol):
    """Staff refunds by number (``REFUND#<n>``) and by Idempotency-Key, in the order's partition."""

    def refunds(self, order_id: str) -> list[RefundRecord]: ...

    def by_key(self, order_id: str, key: str) -> RefundRecord | None: ...

    def reserve(self, order_id: str, record: RefundRecord) -> None:
        """Both conditional: raises RefundKeyUsed (the key has a refund) or RefundNumberTaken."""
        ...

    def settle(self, order_id: str, number: int, state: str, decline_code: str | None) -> None: ...


@dataclass(frozen=True)
class RefundOutcome:
    state: str  # applied | refused | requested (the bank did not answer: retry)
    decline_code: str | None
    captured: int
    refunded: int


class Payments(Protocol):
    """The payments context's public service, as the back office uses it."""

    def summary(self, order_id: str) -> dict[str, Any] | None: ...

    def refund(self, order_id: str, amount: int, number: int) -> RefundOutcome:
        """Refund ``number`` (explicit, so a retry never refunds twice). Raises PaymentGatewayUnavailable."""
        ...


class Emails(Protocol):
    """The notifications context: what was sent for an order, and an email rendered again."""

    def sent(self, order_id: str) -> list[SentEmail]: ...

    def compose(self, name: str, order: Order, event: OrderEvent) -> Email: ...


class Mailer(Protocol):
    def send(self, email: Email) -> str: ...


class DispatchQueue(Protocol):
    """The workflow's dispatch requests (``warehouse-dispatch``): a released order's request again."""

    def send(self, order_id: str, task_token: str) -> None: ...
