"""Orders: the order item, its timeline (the events that happened to it) and the API shapes.

Amounts are integers in minor units, copied from the signed quote."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.checkout.models import InvoiceRequest
from commerce.customers.models import AddressInput
from commerce.payments.models import TOKEN_PATTERN

DEFAULT_PAYMENT_WINDOW_SECONDS = 1800
HOLD_SHARDS = 8  # the sparse ``holds`` index is spread over HOLD#0..7 (docs/orders.md section 5)
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_AUTHORISED = "payment_authorised"
    PAYMENT_DECLINED = "payment_declined"
    EXPIRED = "expired"


# status -> the statuses it may move to (every writer moves status with a condition on the old one)
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: frozenset(
        {OrderStatus.PAYMENT_AUTHORISED, OrderStatus.PAYMENT_DECLINED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PAYMENT_AUTHORISED: frozenset(),  # risk check, review and fulfilment come next
    OrderStatus.PAYMENT_DECLINED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}
# statuses that hold stock (reserved in the STOCK summaries)
HOLDING = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_AUTHORISED})


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
    payment_window_seconds: int
    reserved_until: int | None = Field(default=None, description="Epoch seconds; set while the order holds stock")
    created_at: str
    updated_at: str
    timeline_seq: int = Field(default=1, description="The sequence number of the last timeline entry")


class TimelineEntry(BaseModel):
    """One thing that happened to an order: what, who, when. ``event_id`` = ``<order_id>:<seq>``."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    seq: int
    type: str  # OrderPlaced, OrderPaymentAuthorised, OrderPaymentDeclined, OrderExpired
    at: str
    by: str  # "customer:<sub>", "workflow"
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


class IdempotencyRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    key: str
    body_hash: str
    order_id: str


def summary_of(order: Order) -> OrderSummary:
    return OrderSummary(
        order_id=order.order_id,
        status=order.status,
        total=order.total,
        currency=order.currency,
        item_count=sum(line.quantity for line in order.lines),
        created_at=order.created_at,
    )
