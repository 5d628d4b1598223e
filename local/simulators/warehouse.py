"""The warehouse system (WMS): receives dispatch requests and reports progress by signed webhook.

The API of docs/fulfilment.md section 2 (``Idempotency-Key`` on every POST: the same key gets the
same answer and never dispatches twice):

    POST /v1/dispatches                 {"order_id", "warehouse", "lines", "ship_to", "delivery_method"}
                                        -> 201 {"dispatch_id", "status": "received"}
    POST /v1/dispatches/{id}/cancel     {"order_id", "reason"}
                                        -> 200 {"dispatch_id", "status": "cancelled"}  (goods put back)
                                        -> 409 {"dispatch_id", "status": "handed_to_carrier"}

Webhooks to ``{webhook_url}`` (the platform's ``/webhooks/warehouse``), signed with the "warehouse"
key, each with ``event_id`` (``whe_...``), ``type``, ``order_id``, ``dispatch_id``, ``occurred_at``:

    dispatch.accepted -> dispatch.picking -> dispatch.packed (parcels)
      -> dispatch.handed_to_carrier (carrier "parcelfast", tracking_number, parcels)       the script
    dispatch.exception (reason short_pick | damaged, lines [{"sku", "quantity_short"}])  on demand

The hand-over is the interception gate: only a 2xx answer hands the parcel to the carrier
simulator; a 409 (``ORDER_CANCELLED``) puts the goods back (status ``put_back``) and nothing reaches
the carrier; an answer that never acknowledges it (after the redeliveries, see webhooks.py) leaves
the parcel ``held`` at the warehouse.

Modes: ``auto=True`` plays the script for every dispatch received, ``step_delay`` seconds between
steps, and the carrier then plays its own; ``auto=False`` (tests) does nothing until told:

    warehouse.dispatches[order_id]                  what was received (``Dispatch``), by order id
    warehouse.wait_for_dispatch(order_id, timeout)  -> Dispatch (TimeoutError if none arrives)
    warehouse.advance(order_id, stage, **extra)     -> the HTTP status the platform answered
    warehouse.play(order_id)                        the rest of the script in the background
    warehouse.exception(order_id, reason, lines)    -> the HTTP status
    warehouse.event(order_id, stage, **extra)       a webhook body, not sent (for forged, replayed,
                                                    unknown-order cases with ``send``/``signed``)
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from local.simulators.carrier import Carrier
from local.simulators.webhooks import Answer, Delivery, HttpSimulator, event_type, occurred_at

log = logging.getLogger("local.warehouse")

SCRIPT = ("accepted", "picking", "packed", "handed_to_carrier")
STAGES = (*SCRIPT, "exception")
CARRIER = "parcelfast"
GRAMS_PER_UNIT = 450
# a dispatch in one of these does not go on by itself (play() resumes exception and held)
STOPPED = frozenset({"handed_to_carrier", "cancelled", "put_back", "exception", "held"})
_CANCEL = re.compile(r"^/v1/dispatches/([^/]+)/cancel$")


@dataclass
class Dispatch:
    """One dispatch request. ``stage``: the last stage of the script reported (``received`` first);
    ``status``: the stage, or what stopped it (exception, cancelled, put_back, held)."""

    dispatch_id: str
    order_id: str
    idempotency_key: str
    request: dict[str, Any]  # the body as received
    stage: str = "received"
    status: str = "received"
    parcels: list[dict[str, Any]] = field(default_factory=list)
    tracking_number: str | None = None
    cancel_reason: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # the webhooks sent, in order

    @property
    def lines(self) -> list[dict[str, Any]]:
        return list(self.request.get("lines") or [])

    @property
    def ship_to(self) -> dict[str, Any]:
        return dict(self.request.get("ship_to") or {})


@dataclass
class Warehouse(HttpSimulator):
    carrier: Carrier | None = None
    auto: bool = False
    down: bool = False  # an outage: every API call answers 503 (tests of retries, the DLQ and redrive)
    step_delay: float = 2.0
    dispatches: dict[str, Dispatch] = field(default_factory=dict)  # by order id (the latest request)
    _by_id: dict[str, Dispatch] = field(default_factory=dict, repr=False)
    _answers: dict[str, Answer] = field(default_factory=dict, repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    LOGGER: ClassVar[str] = "local.warehouse"
    SERVER_NAME: ClassVar[str] = "warehouse"

    # ---- the API -----------------------------------------------------------------------------------
    def handle(self, path: str, body: dict[str, Any], key: str) -> Answer:
        if self.down:
            return 503, {"error": "the warehouse system is down for maintenance"}
        if not key:
            return 400, {"error": "Idempotency-Key required"}
        with self._changed:
            if key in self._answers:
                return self._answers[key]  # same key, same answer, never dispatched twice
            cancel = _CANCEL.match(path)
            if path == "/v1/dispatches":
                answer = self._receive(body, key)
            elif cancel:
                answer = self._cancel(cancel.group(1), body)
            else:
                return 404, {"error": "not found"}
            self._answers[key] = answer
            self._changed.notify_all()
        if path == "/v1/dispatches" and answer[0] == 201 and self.auto:
            self.play(str(body["order_id"]))
        return answer

    def _receive(self, body: dict[str, Any], key: str) -> Answer:
        lines = body.get("lines")
        if (
            not isinstance(body.get("order_id"), str)
            or not body["order_id"]
            or not isinstance(lines, list)
            or not lines
        ):
            return 422, {"error": "order_id and lines are required"}
        dispatch = Dispatch(f"dsp_{secrets.token_hex(6)}", body["order_id"], key, dict(body))
        self.dispatches[dispatch.order_id] = self._by_id[dispatch.dispatch_id] = dispatch
        return 201, {"dispatch_id": dispatch.dispatch_id, "status": "received"}

    def _cancel(self, dispatch_id: str, body: dict[str, Any]) -> Answer:
        dispatch = self._by_id.get(dispatch_id)
        if dispatch is None:
            return 404, {"error": "no such dispatch"}
        if dispatch.stage == "handed_to_carrier":
            return 409, {"dispatch_id": dispatch_id, "status": "handed_to_carrier"}
        if dispatch.status != "put_back":
            dispatch.status = "cancelled"  # whatever was picked goes back on the shelves
        dispatch.cancel_reason = str(body.get("reason") or "") or None
        return 200, {"dispatch_id": dispatch_id, "status": "cancelled"}

    # ---- the test API ------------------------------------------------------------------------------
    def wait_for_dispatch(self, order_id: str, timeout: float = 10) -> Dispatch:
        with self._changed:
            if not self._changed.wait_for(lambda: order_id in self.dispatches, timeout):
                raise TimeoutError(f"no dispatch request for {order_id!r} within {timeout}s")
            return self.dispatches[order_id]

    def event(self, order_id: str, stage: str, **extra: Any) -> dict[str, Any]:
        """The webhook body for that stage of the order's dispatch (``extra`` adds or overrides
        fields). Works for orders the warehouse never received (``dispatch_id`` ``dsp_unknown``)."""
        type_ = event_type("dispatch", stage, STAGES)
        dispatch = self.dispatches.get(order_id)
        event: dict[str, Any] = {
            "event_id": f"whe_{secrets.token_hex(8)}",
            "type": type_,
            "order_id": order_id,
            "dispatch_id": dispatch.dispatch_id if dispatch else "dsp_unknown",
            "occurred_at": occurred_at(),
        }
        if type_ in ("dispatch.packed", "dispatch.handed_to_carrier"):
            event["parcels"] = (dispatch.parcels if dispatch else []) or _parcels(dispatch)
        if type_ == "dispatch.handed_to_carrier":
            event["carrier"] = CARRIER
            event["tracking_number"] = (dispatch.tracking_number if dispatch else None) or _tracking_number()
        return event | extra

    def advance(self, order_id: str, stage: str, **extra: Any) -> int:
        """Send that one webhook now; the status the platform answered (0: no answer). An
        unacknowledged one is redelivered in the background (see webhooks.py). For the hand-over a
        2xx hands the parcel to the carrier (which then waits, unless it is in auto mode) and a 409
        puts the goods back, both before this returns."""
        dispatch = self._dispatch(order_id)
        event = self.event(order_id, stage, **extra)
        self._record(dispatch, event)
        if event["type"] == "dispatch.handed_to_carrier":
            return self.send(event, on_final=lambda d: self._handed_over(dispatch, event, d, False)).status or 0
        return self.send(event).status or 0

    def exception(self, order_id: str, reason: str, lines: list[dict[str, Any]]) -> int:
        """Report a short pick or damaged goods (``lines``: ``[{"sku", "quantity_short"}]``); the
        status the platform answered. A running script stops; ``play`` resumes it (restocked)."""
        return self.advance(order_id, "exception", reason=reason, lines=lines)

    def play(self, order_id: str) -> threading.Thread:
        """Play the rest of the script in the background, as auto mode does, then the carrier's."""
        dispatch = self._dispatch(order_id)
        return self._script(f"warehouse-{order_id}", lambda: self._play(dispatch))

    # ---- internals ---------------------------------------------------------------------------------
    def _dispatch(self, order_id: str) -> Dispatch:
        with self._changed:
            if order_id not in self.dispatches:
                raise KeyError(f"the warehouse received no dispatch for {order_id!r}")
            return self.dispatches[order_id]

    def _record(self, dispatch: Dispatch, event: dict[str, Any]) -> None:
        stage = event["type"].removeprefix("dispatch.")
        with self._changed:
            dispatch.events.append(event)
            if "parcels" in event:
                dispatch.parcels = list(event["parcels"])
            if stage == "exception":
                if dispatch.status not in ("handed_to_carrier", "cancelled", "put_back"):
                    dispatch.status = "exception"
            elif stage != "handed_to_carrier" and _rank(stage) > _rank(dispatch.stage):
                dispatch.stage = stage  # stages only move forward (a late picking changes nothing)
                if dispatch.status not in STOPPED:
                    dispatch.status = stage
            self._changed.notify_all()

    def _handed_over(self, dispatch: Dispatch, event: dict[str, Any], delivery: Delivery, play: bool) -> None:
        """The platform's final answer to a hand-over: 2xx the carrier takes the parcel, 409 the
        goods go back, anything else the parcel stays here."""
        with self._changed:
            if delivery.acknowledged and dispatch.status in ("cancelled", "put_back"):
                log.warning("hand-over of %s acknowledged after a cancel: the goods stay put back", dispatch.order_id)
                return
            if delivery.acknowledged:
                dispatch.stage = dispatch.status = "handed_to_carrier"
                dispatch.tracking_number = event["tracking_number"]
            elif delivery.status == 409:
                if dispatch.status != "cancelled":
                    dispatch.status = "put_back"
            else:
                log.warning("hand-over of %s not acknowledged (%s): parcel held", dispatch.order_id, delivery.status)
                dispatch.status = "held"
            self._changed.notify_all()
        if delivery.acknowledged and self.carrier is not None:
            self.carrier.receive(dispatch.order_id, event["tracking_number"], event["parcels"], dispatch.ship_to, play)

    def _play(self, dispatch: Dispatch) -> None:
        with self._changed:
            if dispatch.status in ("exception", "held"):
                dispatch.status = dispatch.stage  # restocked, or trying the hand-over again
        for stage in SCRIPT:
            with self._changed:
                if _rank(dispatch.stage) >= _rank(stage):
                    continue
            if self._closed.wait(self.step_delay):
                return
            with self._changed:
                if dispatch.status in STOPPED:  # cancelled, or an exception reported, meanwhile
                    return
            event = self.event(dispatch.order_id, stage)
            self._record(dispatch, event)
            delivery = self.send_and_wait(event)
            if stage == "handed_to_carrier":
                self._handed_over(dispatch, event, delivery, True)
            elif not delivery.acknowledged:
                log.warning("%s for %s was not acknowledged (%s)", event["type"], dispatch.order_id, delivery.status)


def _rank(stage: str) -> int:
    return SCRIPT.index(stage) + 1 if stage in SCRIPT else 0


def _parcels(dispatch: Dispatch | None) -> list[dict[str, Any]]:
    units = sum(int(line.get("quantity") or 1) for line in dispatch.lines) if dispatch else 1
    return [{"parcel_id": f"prc_{secrets.token_hex(6)}", "weight_grams": GRAMS_PER_UNIT * max(units, 1)}]


def _tracking_number() -> str:
    return f"PF{secrets.randbelow(10**9):09d}"
