"""The carrier (ParcelFast): takes parcels from the warehouse and reports tracking by signed webhook.

The platform never calls the carrier (docs/fulfilment.md section 3): the warehouse simulator hands
parcels over in-process (``receive``), and the carrier sends ``shipment.*`` webhooks to
``{webhook_url}`` (the platform's ``/webhooks/carrier``), signed with the "carrier" key:

    in_transit -> out_for_delivery -> delivered (signed_by)          the script
    delivery_failed (reason; the carrier tries again), returned_to_sender (reason)   on demand

Every event carries ``event_id`` (``cre_...``), ``type``, ``carrier``, ``tracking_number``,
``order_id``, ``occurred_at`` (ISO UTC) and ``location``.

Modes: ``auto=True`` plays the script for every parcel received, ``step_delay`` seconds between
steps; ``auto=False`` (tests) does nothing until told: ``advance(tracking_number, type, **extra)``
sends one event now and returns the status the platform answered, ``play(tracking_number)`` plays
the rest of the script in the background. Webhook sending, redelivery, ``deliveries``, ``send`` and
``signed`` come from ``local.simulators.webhooks.WebhookSender``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from local.simulators.webhooks import WebhookSender, event_type, occurred_at

log = logging.getLogger("local.carrier")

SCRIPT = ("in_transit", "out_for_delivery", "delivered")
TYPES = (*SCRIPT, "delivery_failed", "returned_to_sender")
FINAL = frozenset({"delivered", "returned_to_sender"})
# how far along the script a status is: after a failed delivery the carrier goes out again
_PROGRESS = {"collected": 0, "in_transit": 1, "delivery_failed": 1, "out_for_delivery": 2, "delivered": 3}
HUB = "ParcelFast hub, Birmingham"


@dataclass
class Shipment:
    """A parcel the carrier holds. ``status``: collected, then the last event sent."""

    tracking_number: str
    order_id: str
    parcels: list[dict[str, Any]]
    ship_to: dict[str, Any] = field(default_factory=dict)
    status: str = "collected"
    events: list[dict[str, Any]] = field(default_factory=list)  # the webhooks sent, in order


@dataclass
class Carrier(WebhookSender):
    auto: bool = False
    step_delay: float = 2.0
    name: str = "parcelfast"
    shipments: dict[str, Shipment] = field(default_factory=dict)  # by tracking number
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    LOGGER: ClassVar[str] = "local.carrier"

    # ---- from the warehouse ------------------------------------------------------------------------
    def receive(
        self,
        order_id: str,
        tracking_number: str,
        parcels: list[dict[str, Any]],
        ship_to: dict[str, Any] | None = None,
        play: bool = False,
    ) -> Shipment:
        """The warehouse hands a parcel over; in auto mode (or with ``play``) the script starts."""
        with self._lock:
            shipment = self.shipments.setdefault(
                tracking_number, Shipment(tracking_number, order_id, list(parcels), dict(ship_to or {}))
            )
        if self.auto or play:
            self.play(tracking_number)
        return shipment

    def shipment_for(self, order_id: str) -> Shipment:
        with self._lock:
            for shipment in self.shipments.values():
                if shipment.order_id == order_id:
                    return shipment
        raise KeyError(f"the carrier holds no parcel of order {order_id!r}")

    # ---- the test API ------------------------------------------------------------------------------
    def event(self, tracking_number: str, type: str, **extra: Any) -> dict[str, Any]:
        """The webhook body for one event of this shipment (``extra`` adds or overrides fields)."""
        shipment = self._shipment(tracking_number)
        short = event_type("shipment", type, TYPES).removeprefix("shipment.")
        city = str(shipment.ship_to.get("city") or "Leeds")
        event: dict[str, Any] = {
            "event_id": f"cre_{secrets.token_hex(8)}",
            "type": f"shipment.{short}",
            "carrier": self.name,
            "tracking_number": tracking_number,
            "order_id": shipment.order_id,
            "occurred_at": occurred_at(),
            "location": HUB if short in ("in_transit", "returned_to_sender") else f"{city} depot",
        }
        if short == "delivered":
            event["location"] = city
            event["signed_by"] = "A. Resident"
        elif short == "delivery_failed":
            event["reason"] = "no_one_home"
        elif short == "returned_to_sender":
            event["reason"] = "undeliverable"
        return event | extra

    def advance(self, tracking_number: str, type: str, **extra: Any) -> int:
        """Send that one event now; the status the platform answered (0: no answer). Redelivered in
        the background while unacknowledged (see webhooks.py)."""
        event = self.event(tracking_number, type, **extra)
        self._record(event)
        return self.send(event).status or 0

    def play(self, tracking_number: str) -> threading.Thread:
        """Play the rest of the script in the background (a failed delivery is followed by another
        round out for delivery); stops at delivered or returned_to_sender."""
        self._shipment(tracking_number)
        return self._script(f"carrier-{tracking_number}", lambda: self._play(tracking_number))

    # ---- internals ---------------------------------------------------------------------------------
    def _shipment(self, tracking_number: str) -> Shipment:
        with self._lock:
            if tracking_number not in self.shipments:
                raise KeyError(f"the carrier holds no parcel {tracking_number!r}")
            return self.shipments[tracking_number]

    def _record(self, event: dict[str, Any]) -> None:
        with self._lock:
            shipment = self.shipments[event["tracking_number"]]
            shipment.status = event["type"].removeprefix("shipment.")
            shipment.events.append(event)

    def _play(self, tracking_number: str) -> None:
        shipment = self._shipment(tracking_number)
        if shipment.status in FINAL:
            return
        for step in SCRIPT:
            with self._lock:
                if _PROGRESS.get(shipment.status, 0) >= _PROGRESS[step]:
                    continue
            if self._closed.wait(self.step_delay):
                return
            with self._lock:
                if shipment.status in FINAL:  # finished meanwhile (a test's advance)
                    return
            event = self.event(tracking_number, step)
            self._record(event)
            delivery = self.send_and_wait(event)
            if not delivery.acknowledged:
                log.warning("%s for %s was not acknowledged (%s)", event["type"], tracking_number, delivery.status)
