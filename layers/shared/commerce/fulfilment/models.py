"""Shipments (one per order: ``ORDER#<id>``/``SHIPMENT`` in the orders table), the warehouse's and
the carriers' webhook events, and the rules for applying them in order (docs/fulfilment.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
OrderRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

# Where customers follow a parcel, per carrier ("{tracking_number}" is substituted); unknown
# carriers get no link.
TRACKING_URLS = {
    "parcelfast": "https://track.parcelfast.example/{tracking_number}",
    "swiftpost": "https://swiftpost.example/track?id={tracking_number}",
}


class ShipmentStatus(StrEnum):
    REQUESTED = "requested"  # sent to the warehouse
    ACCEPTED = "accepted"
    PICKING = "picking"
    PACKED = "packed"
    EXCEPTION = "exception"  # short pick or damaged: staff review
    HANDED_TO_CARRIER = "handed_to_carrier"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"  # the warehouse put the goods back


# The warehouse's stages only move forward: a late "picking" after "packed" changes nothing.
WAREHOUSE_RANK = {
    ShipmentStatus.REQUESTED: 0,
    ShipmentStatus.ACCEPTED: 1,
    ShipmentStatus.PICKING: 2,
    ShipmentStatus.PACKED: 3,
    ShipmentStatus.EXCEPTION: 3,
    ShipmentStatus.HANDED_TO_CARRIER: 4,
}
CARRIER_FINAL = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER})


class Parcel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    parcel_id: Text
    weight_grams: int | None = Field(default=None, ge=0, le=1_000_000)


class ShortLine(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sku: Text
    quantity_short: int = Field(ge=1, le=100_000)


class TrackingEvent(BaseModel):
    """One carrier scan, as the customer sees it."""

    type: str  # in_transit | out_for_delivery | delivered | delivery_failed | returned_to_sender
    at: str
    location: str | None = None
    detail: str | None = None  # signed for by ..., or why a delivery failed


class Shipment(BaseModel):
    order_id: str
    dispatch_id: str | None = None
    warehouse: str
    status: ShipmentStatus = ShipmentStatus.REQUESTED
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    parcels: list[Parcel] = Field(default_factory=list)
    signed_by: str | None = None
    exception: dict[str, object] | None = None
    tracking: list[TrackingEvent] = Field(default_factory=list)
    requested_at: str
    updated_at: str
    last_occurred_at: str | None = Field(default=None, description="The newest carrier event applied")
    version: int = Field(default=0, exclude=True, description="Optimistic concurrency: each write is conditional on it")


def tracking_url(carrier: str | None, tracking_number: str | None) -> str | None:
    template = TRACKING_URLS.get((carrier or "").lower())
    return template.format(tracking_number=tracking_number) if template and tracking_number else None


class WarehouseEvent(BaseModel):
    """A warehouse webhook body (docs/fulfilment.md section 2)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: EventId
    type: Literal[
        "dispatch.accepted",
        "dispatch.picking",
        "dispatch.packed",
        "dispatch.handed_to_carrier",
        "dispatch.exception",
    ]
    order_id: OrderRef
    dispatch_id: Text
    occurred_at: Text
    carrier: Text | None = None
    tracking_number: Text | None = None
    parcels: list[Parcel] = Field(default_factory=list, max_length=100)
    reason: Literal["short_pick", "damaged"] | None = None
    lines: list[ShortLine] = Field(default_factory=list, max_length=200)


class CarrierEvent(BaseModel):
    """A carrier webhook body (docs/fulfilment.md section 3)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: EventId
    type: Literal[
        "shipment.in_transit",
        "shipment.out_for_delivery",
        "shipment.delivered",
        "shipment.delivery_failed",
        "shipment.returned_to_sender",
    ]
    order_id: OrderRef
    carrier: Text
    tracking_number: Text
    occurred_at: Text
    location: Text | None = None
    signed_by: Text | None = None
    reason: Text | None = None


class PartnerWebhookResult(BaseModel):
    applied: str | None = None
    ignored: str | None = None
    duplicate: bool | None = None
