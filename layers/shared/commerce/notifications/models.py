"""What the notifications context handles (an order event), what it produces (an email) and what
it keeps (the record of each email sent: de-duplication and the back office's resend log)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Order event (EventBridge detail type) -> the template it is emailed with (templates/<name>.*).
# infra/topology.py routes exactly these to the notifications queue (NOTIFIED_ORDER_EVENTS).
TEMPLATES: dict[str, str] = {
    "OrderPaymentAuthorised": "order_confirmation",
    "OrderPaymentDeclined": "payment_failed",
    "OrderCancelled": "order_cancelled",
    "OrderRejected": "order_rejected",
    "OrderExpired": "order_expired",
    "OrderDispatched": "order_dispatched",
    "OrderDelivered": "order_delivered",
}
# the templates that tell the customer about the parcel (the shipment is read for them)
PARCEL_TEMPLATES = frozenset({"order_dispatched", "order_delivered"})


class OrderEvent(BaseModel):
    """An order event as the outbox publishes it (commerce/orders/outbox.py): the timeline entry's
    detail plus ``event_id`` (``<order_id>:<seq>``), ``occurred_at``, ``order_id`` and ``by``."""

    model_config = ConfigDict(frozen=True)

    detail_type: str
    event_id: str = Field(min_length=1)
    order_id: str = Field(min_length=1)
    occurred_at: str = ""
    by: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_eventbridge(cls, envelope: dict[str, Any]) -> OrderEvent:
        """From the EventBridge envelope (``detail-type``, ``detail``, ...) an SQS target receives."""
        detail = dict(envelope.get("detail") or {})
        return cls(
            detail_type=str(envelope.get("detail-type", "")),
            event_id=str(detail.get("event_id", "")),
            order_id=str(detail.get("order_id", "")),
            occurred_at=str(detail.get("occurred_at", "")),
            by=str(detail.get("by", "")),
            detail=detail,
        )


class Parcel(BaseModel):
    """What an email says about the parcel: from the shipment, or the event when there is none."""

    model_config = ConfigDict(frozen=True)

    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    signed_by: str | None = None


class Email(BaseModel):
    """One rendered email, ready to send."""

    model_config = ConfigDict(frozen=True)

    to: str
    subject: str
    text: str
    html: str
    template: str


class SentEmail(BaseModel):
    """What was sent for an order event (never the body): the back office's resend log."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    order_id: str
    template: str
    recipient: str
    subject: str
    message_id: str
    sent_at: str


class Claim(StrEnum):
    """The answer to claiming an event's email before sending it."""

    TAKEN = "taken"  # ours: send it
    SENT = "sent"  # sent before: a duplicate event
    IN_FLIGHT = "in_flight"  # another delivery is sending it right now (its lease has not run out)


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    NO_EMAIL = "no_email"  # the order has no contact email
    NOT_NOTIFIED = "not_notified"  # an event type no email is sent for
    ORDER_NOT_FOUND = "order_not_found"
