"""Orders: the order item, its timeline (the events that happened to it) and the API shapes.

Amounts are integers in minor units, copied from the signed quote."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.checkout.models import InvoiceRequest
from commerce.customers.models import AddressInput
from commerce.fulfilment.models import Shipment
from commerce.payments.models import TOKEN_PATTERN

DEFAULT_PAYMENT_WINDOW_SECONDS = 1800
HOLD_SHARDS = 8  # the sparse ``holds`` index is spread over HOLD#0..7 (docs/orders.md section 5)
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_PAYMENT_RETRY = "awaiting_payment_retry"  # declined; the customer may retry in the window
    PAYMENT_AUTHORISED = "payment_authorised"
    PAYMENT_DECLINED = "payment_declined"  # orders placed before the retry step; no longer entered
    IN_REVIEW = "in_review"  # a risk rule flagged it; staff approve or reject
    APPROVED = "approved"  # staff approved; the workflow marks it ready next
    READY_FOR_FULFILMENT = "ready_for_fulfilment"
    FULFILMENT_EXCEPTION = "fulfilment_exception"  # short pick or damaged goods: staff decide
    HANDED_TO_CARRIER = "handed_to_carrier"  # the warehouse's hand-over: the interception gate
    SHIPPED = "shipped"  # captured, stock deducted, OrderDispatched
    DELIVERED = "delivered"  # the return window runs
    COMPLETED = "completed"  # the return window closed
    RETURNED_TO_SENDER = "returned_to_sender"  # the carrier gave up: staff decide (refund)
    REJECTED = "rejected"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = OrderStatus
# status -> the statuses it may move to (every writer moves status with a condition on the old one)
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_PAYMENT: frozenset({S.PAYMENT_AUTHORISED, S.AWAITING_PAYMENT_RETRY, S.EXPIRED, S.CANCEL_REQUESTED}),
    S.AWAITING_PAYMENT_RETRY: frozenset({S.AWAITING_PAYMENT, S.EXPIRED, S.CANCEL_REQUESTED}),
    S.PAYMENT_AUTHORISED: frozenset({S.IN_REVIEW, S.READY_FOR_FULFILMENT, S.CANCEL_REQUESTED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.CANCEL_REQUESTED}),
    S.APPROVED: frozenset({S.READY_FOR_FULFILMENT, S.CANCEL_REQUESTED}),
    S.READY_FOR_FULFILMENT: frozenset({S.HANDED_TO_CARRIER, S.FULFILMENT_EXCEPTION, S.CANCEL_REQUESTED}),
    S.FULFILMENT_EXCEPTION: frozenset({S.HANDED_TO_CARRIER, S.CANCEL_REQUESTED}),
    S.HANDED_TO_CARRIER: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.RETURNED_TO_SENDER: frozenset(),
    S.CANCEL_REQUESTED: frozenset({S.CANCELLED}),
    S.PAYMENT_DECLINED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
# moving into these releases the order's stock in the same transaction
RELEASING = frozenset({S.PAYMENT_DECLINED, S.EXPIRED, S.REJECTED, S.CANCELLED})
# statuses that hold stock (reserved in the STOCK summaries)
HOLDING = frozenset(
    {
        S.AWAITING_PAYMENT,
        S.AWAITING_PAYMENT_RETRY,
        S.PAYMENT_AUTHORISED,
        S.IN_REVIEW,
        S.APPROVED,
        S.READY_FOR_FULFILMENT,
        S.FULFILMENT_EXCEPTION,
        S.HANDED_TO_CARRIER,  # until Ship deducts it
        S.CANCEL_REQUESTED,
    }
)
# a customer or staff cancel is accepted from these (before the interception gate)
CANCELLABLE = frozenset(
    {
        S.AWAITING_PAYMENT,
        S.AWAITING_PAYMENT_RETRY,
        S.PAYMENT_AUTHORISED,
        S.IN_REVIEW,
        S.APPROVED,
        S.READY_FOR_FULFILMENT,
        S.FULFILMENT_EXCEPTION,
    }
)
# the interception gate: from here on a cancel is refused and the customer requests a return
# the order's story is over: nothing is waiting for it
FINISHED = frozenset({S.COMPLETED, S.CANCELLED, S.EXPIRED, S.REJECTED, S.PAYMENT_DECLINED, S.RETURNED_TO_SENDER})
PAST_GATE = frozenset({S.HANDED_TO_CARRIER, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.RETURNED_TO_SENDER})


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


class PlaceOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quote_token: Annotated[str, StringConstraints(min_length=10, max_length=32_000)] = Field(
        description="The quote_token of a checkout quote (POST /me/cart/quote)"
    )
    payment_token: Annotated[str, StringConstraints(pattern=TOKEN_PATTERN)] = Field(
        description="The payment gateway's card token (never card data)"
    )


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: int
    line_total: int
    tax: int


class Order(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    customer_id: str
    status: OrderStatus
    quote_id: str
    currency: str
    lines: list[OrderLine]
    subtotal: int
    shipping: int
    discount_total: int
    tax: int
    total: int
    shipping_address: AddressInput
    invoice: InvoiceRequest | None = None
    note: str = ""
    payment_method: str
    contact_email: str | None = Field(default=None, description="Where the order's emails go (the account's email)")
    payment_window_seconds: int
    reserved_until: int | None = Field(default=None, description="Epoch seconds; set while the order holds stock")
    created_at: str
    updated_at: str
    timeline_seq: int = Field(default=1, description="The sequence number of the last timeline entry")
    attention: dict[str, Any] | None = Field(
        default=None, description="Raised for staff by reconciliation: the workflow ended unexpectedly (why, when)"
    )
    refunded: int = Field(default=0, description="Refunded so far by staff refunds (minor units)")
    # Held by staff (reason, by, at): the warehouse is not asked to dispatch it. Internal: shown to
    # staff only (docs/back-office.md).
    hold: dict[str, Any] | None = Field(default=None, exclude=True)
    # The waiting workflow task's token (AwaitRetry, WaitForReview); never shown to customers. The
    # payment wait's token lives on the payment record (docs/orders.md section 4).
    task_token: str | None = Field(default=None, exclude=True)
    # Where the stock of a hot SKU's lines is reserved ({sku: {pool: units}}, docs/inventory.md), so
    # the release and the dispatch go back to the same shards; None when every line is on unsharded
    # stock. Internal: written at placement, never shown.
    stock_holds: dict[str, dict[str, int]] | None = Field(default=None, exclude=True)


class TimelineEntry(BaseModel):
    """One thing that happened to an order: what, who, when. ``event_id`` = ``<order_id>:<seq>``."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    seq: int
    type: str  # OrderPlaced, OrderPaymentAuthorised, OrderPaymentDeclined, OrderCancelled, ... (TIMELINE_TYPES)
    at: str
    by: str  # "customer:<sub>", "staff:<sub>", "workflow"
    detail: dict[str, Any] = Field(default_factory=dict)


class Placed(BaseModel):
    order_id: str
    status: OrderStatus
    status_url: str


class OrderSummary(BaseModel):
    order_id: str
    status: OrderStatus
    total: int
    currency: str
    item_count: int
    created_at: str


class OrderPage(BaseModel):
    orders: list[OrderSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null at the end")


class OrderDetail(BaseModel):
    order: Order
    timeline: list[TimelineEntry]
    payment: dict[str, Any] | None = Field(description="The payment's state (payments context); null before any")
    shipment: Shipment | None = Field(
        default=None, description="The shipment, its carrier, tracking link and tracking events; null before dispatch"
    )


class IdempotencyRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    key: str
    body_hash: str
    order_id: str


class RetryPaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    payment_token: Annotated[str, StringConstraints(pattern=TOKEN_PATTERN)] = Field(
        description="A new payment gateway card token (never card data)"
    )


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Reason | None = Field(default=None, description="Why (optional for customers)")


class StaffReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Reason = Field(description="Why; recorded in the order's timeline")


class OrderAccepted(BaseModel):
    """A request the order's workflow finishes: poll ``status_url``."""

    order_id: str
    status: OrderStatus
    status_url: str


def summary_of(order: Order) -> OrderSummary:
    return OrderSummary(
        order_id=order.order_id,
        status=order.status,
        total=order.total,
        currency=order.currency,
        item_count=sum(line.quantity for line in order.lines),
        created_at=order.created_at,
    )
