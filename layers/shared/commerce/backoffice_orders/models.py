"""What staff see and send on the orders screens (docs/back-office.md, "Orders: the staff screens")."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.fulfilment.models import Shipment
from commerce.notifications.models import SentEmail
from commerce.orders.models import Order, OrderStatus, Reason, TimelineEntry

S = OrderStatus
PaymentStatusName = Literal["pending", "failed", "authorised", "captured", "partially_refunded", "refunded", "voided"]
RefundState = Literal["none", "partial", "full"]

# The payment's status as the order's own status tells it (the listing filters by it without
# reading the payments context): authorised at order time, captured at the hand-over, voided when
# the order ended before it; refunds are recorded on the order by the staff refund route.
CAPTURED_STATUSES = frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED, S.RETURNED_TO_SENDER})
PAYMENT_PHASES: dict[str, frozenset[OrderStatus]] = {
    "pending": frozenset({S.AWAITING_PAYMENT}),
    "failed": frozenset({S.AWAITING_PAYMENT_RETRY, S.PAYMENT_DECLINED}),
    "authorised": frozenset(
        {
            S.PAYMENT_AUTHORISED,
            S.IN_REVIEW,
            S.APPROVED,
            S.READY_FOR_FULFILMENT,
            S.FULFILMENT_EXCEPTION,
            S.HANDED_TO_CARRIER,
            S.CANCEL_REQUESTED,
        }
    ),
    "captured": CAPTURED_STATUSES,
    "partially_refunded": CAPTURED_STATUSES,
    "refunded": CAPTURED_STATUSES,
    "voided": frozenset({S.CANCELLED, S.REJECTED, S.EXPIRED}),
}
REFUND_OF: dict[str, RefundState] = {"captured": "none", "partially_refunded": "partial", "refunded": "full"}


def payment_status_of(status: OrderStatus, refunded: int, total: int) -> str:
    """The listing's payment status of an order (the detail shows the payment itself)."""
    if status in CAPTURED_STATUSES:
        if refunded <= 0:
            return "captured"
        return "refunded" if refunded >= total else "partially_refunded"
    return next(name for name, phase in PAYMENT_PHASES.items() if status in phase)


class ListFilters(BaseModel):
    """``GET /admin/orders``'s filters, parsed (``listing.parse_filters``)."""

    model_config = ConfigDict(frozen=True)

    statuses: frozenset[OrderStatus] | None = None
    created_from: str | None = None  # inclusive, as stored (ISO, UTC, milliseconds)
    created_to: str | None = None  # inclusive
    customer_id: str | None = None
    min_total: int | None = None
    max_total: int | None = None
    payment_status: PaymentStatusName | None = None
    flagged: bool | None = None
    q: str | None = None

    def fingerprint(self) -> str:
        """Ties a cursor to the filters it was made for."""
        data = self.model_dump(mode="json") | {"statuses": sorted(self.statuses or [])}
        raw = json.dumps(data, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


class AdminOrderRow(BaseModel):
    order_id: str
    status: OrderStatus
    customer_id: str
    contact_email: str | None
    total: int
    refunded: int
    currency: str
    item_count: int
    created_at: str
    updated_at: str
    payment_status: str = Field(
        description="pending, failed, authorised, captured, partially_refunded, refunded, voided"
    )
    flagged: bool = Field(
        description="Waiting for staff: in review, a fulfilment exception, or raised by reconciliation"
    )
    held: bool
    attention: bool = Field(description="Raised by reconciliation (its workflow ended unexpectedly)")


class AdminOrderPage(BaseModel):
    orders: list[AdminOrderRow]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (with the same filters) for the next, older page; null at the end. "
        "With filters a key condition cannot serve, a page may hold fewer rows than asked: follow it."
    )


class Note(BaseModel):
    """A staff member's internal note on an order (never shown to the customer)."""

    note_id: str
    text: str
    by: str
    by_email: str | None = None
    at: str


class EmailResent(BaseModel):
    at: str
    by: str
    recipient: str
    message_id: str


class ResendRecord(EmailResent):
    event_id: str
    template: str


class OrderEmail(SentEmail):
    """An email the customer was sent about an event, with every resend of it."""

    resends: list[EmailResent] = Field(default_factory=list)


class RefundRecord(BaseModel):
    """A staff refund: reserved with its number before the bank is asked, then settled."""

    refund_number: int
    idempotency_key: str
    body_hash: str = Field(exclude=True)
    amount: int
    currency: str
    reason: str
    by: str
    at: str
    state: Literal["reserved", "refunded", "refused"] = "reserved"
    decline_code: str | None = None


class OrderPartition(BaseModel):
    """Everything stored under one order (one query)."""

    order: Order
    timeline: list[TimelineEntry]
    shipment: Shipment | None = None
    notes: list[Note] = Field(default_factory=list)
    resends: list[ResendRecord] = Field(default_factory=list)
    refunds: list[RefundRecord] = Field(default_factory=list)


class AdminOrderDetail(BaseModel):
    order: Order
    hold: dict[str, Any] | None = Field(description="Held by staff: reason, by, at; null when not held")
    flagged: bool
    payment_status: str
    timeline: list[TimelineEntry]
    payment: dict[str, Any] | None = Field(
        description="The payments context's summary (status, amount, captured, refunded, ...); null before any"
    )
    shipment: Shipment | None
    notes: list[Note] = Field(description="Internal staff notes, oldest first")
    emails: list[OrderEmail] = Field(description="Emails the customer was sent, with their resends")
    refunds: list[RefundRecord] = Field(description="Staff refunds, by number")


class AdminOrderState(BaseModel):
    """An order after a staff change."""

    order: Order
    hold: dict[str, Any] | None


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Reason = Field(description="Why it is held (internal; never shown to the customer)")


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Text


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=1, le=100_000_000, description="Minor units; at most what was captured and not refunded")
    reason: Reason = Field(description="Why (internal)")

    def body_hash(self) -> str:
        raw = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()


class RefundResult(BaseModel):
    order_id: str
    refund_number: int
    amount: int
    currency: str
    state: str
    refunded_total: int = Field(description="Refunded on the payment so far, this refund included")
    refundable: int = Field(description="What can still be refunded")


class ResendResult(BaseModel):
    order_id: str
    event_id: str
    template: str
    message_id: str
    sent_at: str
