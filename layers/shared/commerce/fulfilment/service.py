"""Fulfilment use cases (docs/fulfilment.md): hand a dispatch request to the warehouse, apply the
warehouse's and the carriers' webhooks (the hand-over is the interception gate), capture and
deduct at hand-over (the workflow's Ship task), complete the order after the return window, and
recall a dispatch when an order is cancelled before the gate.

Every change is one conditional write of the order's partition (``OrderWrite``): the order as it
was read, the shipment at its version, and the partner event's id claimed in the same
transaction, so a duplicate webhook changes nothing and a race has exactly one winner."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from commerce.common.observability import logger
from commerce.fulfilment.errors import HandOverRefused, NotReadyYet, ShipmentNotFound
from commerce.fulfilment.models import (
    CARRIER_FINAL,
    WAREHOUSE_RANK,
    CarrierEvent,
    PartnerWebhookResult,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    WarehouseEvent,
    tracking_url,
)
from commerce.fulfilment.ports import Callback, Capture, DispatchLine, DispatchRequest, WarehouseSystem
from commerce.orders.errors import DuplicateEvent, OrderNotFound, OrderStateConflict
from commerce.orders.models import Order, OrderStatus
from commerce.orders.ports import OrderRepository, OrderWrite
from commerce.orders.service import iso_at, next_entry

S = OrderStatus
DEFAULT_WAREHOUSE = "main"  # one warehouse dispatches everything (allocation across several: later)
DEFAULT_RETURN_WINDOW_SECONDS = 14 * 86400
ATTEMPTS = 6  # re-reads after losing a race before giving up (the caller retries)
WAITING_FOR_GOODS = frozenset({S.READY_FOR_FULFILMENT, S.FULFILMENT_EXCEPTION})
CANCELLING = frozenset({S.CANCEL_REQUESTED, S.CANCELLED})
STAGES = {
    "dispatch.accepted": ShipmentStatus.ACCEPTED,
    "dispatch.picking": ShipmentStatus.PICKING,
    "dispatch.packed": ShipmentStatus.PACKED,
}


def dispatch_key(order_id: str) -> str:
    return f"{order_id}:dispatch:1"


class FulfilmentService:
    def __init__(
        self,
        orders: OrderRepository,
        warehouse: WarehouseSystem | None = None,
        callback: Callback | None = None,
        payments: Capture | None = None,
        clock: Callable[[], float] = time.time,
        return_window: Callable[[], int] = lambda: DEFAULT_RETURN_WINDOW_SECONDS,
    ) -> None:
        self._orders = orders
        self._warehouse = warehouse
        self._callback = callback
        self._payments = payments
        self._clock = clock
        self._return_window = return_window

    # ---- dispatch (fulfilment-dispatch, from the warehouse-dispatch queue) ---------------------------
    def request_dispatch(self, order_id: str, task_token: str) -> str:
        """Store the Dispatch task's token on the order, write the shipment, ask the warehouse.
        Answers what happened: ``requested``, ``cancelled`` (the order was cancelled first: the task
        is failed with OrderCancelled), ``past_gate`` (a redelivered message) or ``held`` (staff hold
        it: the token is stored and nothing is sent until they release it)."""
        shipment: Shipment | None = None
        for _ in range(ATTEMPTS):
            order = self._order(order_id)
            if order.status in CANCELLING:
                self._fail(task_token, "OrderCancelled", "The order was cancelled before dispatch.")
                return "cancelled"
            if order.status not in WAITING_FOR_GOODS:
                logger.info("dispatch request for an order past the gate", extra={"status": str(order.status)})
                return "past_gate"
            shipment = self._orders.shipment(order_id)
            if shipment is None and order.hold is not None:
                # held by staff (docs/back-office.md): keep the token (a cancel fails it, a release
                # queues this request again), ask the warehouse nothing
                try:
                    if order.task_token != task_token:
                        self._orders.store_task_token(order, task_token)
                except OrderStateConflict:
                    continue  # held or released meanwhile: decide again
                logger.info("dispatch held by staff", extra={"order_id": order_id})
                return "held"
            try:
                if shipment is None:
                    now = self._now()
                    shipment = Shipment(
                        order_id=order_id, warehouse=DEFAULT_WAREHOUSE, requested_at=now, updated_at=now
                    )
                    entry = next_entry(
                        order,
                        order.status,
                        "OrderDispatchRequested",
                        {"warehouse": shipment.warehouse},
                        "workflow",
                        now,
                    )
                    self._orders.write(OrderWrite(order, entry=entry, task_token=task_token, shipment=shipment))
                    shipment = shipment.model_copy(update={"version": 1})
                elif order.task_token != task_token:
                    self._orders.store_task_token(order, task_token)  # a redelivered request: the newest token
            except OrderStateConflict:
                continue
            break
        else:
            raise OrderStateConflict(f"Order {order_id} keeps changing; the dispatch is retried.")
        assert shipment is not None
        if shipment.dispatch_id is None:
            shipment = self._send_to_warehouse(order, shipment)
        if self._order(order_id).status in CANCELLING:  # cancelled while we asked: put it back now
            self.recall(order_id)
        return "requested"

    def _send_to_warehouse(self, order: Order, shipment: Shipment) -> Shipment:
        request = DispatchRequest(
            order_id=order.order_id,
            warehouse=shipment.warehouse,
            lines=[DispatchLine(sku=x.sku, name=x.name, quantity=x.quantity) for x in order.lines],
            ship_to=order.shipping_address.model_dump(mode="json"),
        )
        dispatch_id = self._warehouse_required().dispatch(request, dispatch_key(order.order_id))
        return self._update_shipment(order.order_id, lambda s: s.model_copy(update={"dispatch_id": dispatch_id}))

    # ---- the warehouse's webhooks -----------------------------------------------------------------------
    def on_warehouse_event(self, event: WarehouseEvent) -> PartnerWebhookResult:
        def apply(order: Order, shipment: Shipment, claim: str) -> PartnerWebhookResult:
            if shipment.dispatch_id is not None and shipment.dispatch_id != event.dispatch_id:
                return PartnerWebhookResult(ignored="another dispatch")
            if event.type == "dispatch.handed_to_carrier":
                return self._hand_over(order, shipment, event, claim)
            if event.type == "dispatch.exception":
                return self._exception(order, shipment, event, claim)
            return self._stage(order, shipment, event, claim)

        resume = self._resume_dispatch if event.type == "dispatch.handed_to_carrier" else None
        return self._apply_once(event.order_id, f"warehouse#{event.event_id}", apply, resume)

    def _apply_once(
        self,
        order_id: str,
        claim: str,
        apply: Callable[[Order, Shipment, str], PartnerWebhookResult],
        on_duplicate: Callable[[Order], None] | None,
    ) -> PartnerWebhookResult:
        """A partner event, applied at most once: re-read and try again when the order moved
        meanwhile; a duplicate (its claim exists) changes nothing, but may finish what the first
        delivery could not (complete the waiting task)."""
        for _ in range(ATTEMPTS):
            order, shipment = self._order(order_id), self._shipment(order_id)
            try:
                return apply(order, shipment, claim)
            except DuplicateEvent:
                if on_duplicate is not None:
                    on_duplicate(self._order(order_id))
                return PartnerWebhookResult(duplicate=True)
            except OrderStateConflict:
                continue
        raise OrderStateConflict(f"Order {order_id} keeps changing; send the event again.")

    def _stage(self, order: Order, shipment: Shipment, event: WarehouseEvent, claim: str) -> PartnerWebhookResult:
        stage = STAGES[event.type]
        current = WAREHOUSE_RANK.get(shipment.status)
        if current is None or WAREHOUSE_RANK[stage] <= current:
            self._orders.write(OrderWrite(order, claim=claim))  # recorded as seen; changes nothing
            return PartnerWebhookResult(ignored=f"shipment is {shipment.status}")
        update: dict[str, Any] = {"status": stage, "updated_at": self._now()}
        if event.parcels:
            update["parcels"] = list(event.parcels)
        self._orders.write(OrderWrite(order, shipment=shipment.model_copy(update=update), claim=claim))
        return PartnerWebhookResult(applied=str(stage))

    def _exception(self, order: Order, shipment: Shipment, event: WarehouseEvent, claim: str) -> PartnerWebhookResult:
        """A short pick or damaged goods: the order goes to staff (docs/fulfilment.md section 4)."""
        if order.status is not S.READY_FOR_FULFILMENT:
            self._orders.write(OrderWrite(order, claim=claim))
            return PartnerWebhookResult(ignored=f"order is {order.status}")
        now = self._now()
        detail = {"reason": event.reason, "lines": [line.model_dump() for line in event.lines]}
        entry = next_entry(order, S.FULFILMENT_EXCEPTION, "OrderFulfilmentException", detail, "warehouse", now)
        after = shipment.model_copy(update={"status": ShipmentStatus.EXCEPTION, "exception": detail, "updated_at": now})
        self._orders.write(
            OrderWrite(order, to=S.FULFILMENT_EXCEPTION, entry=entry, keep_token=True, shipment=after, claim=claim)
        )
        return PartnerWebhookResult(applied="exception")

    def _hand_over(self, order: Order, shipment: Shipment, event: WarehouseEvent, claim: str) -> PartnerWebhookResult:
        """The interception gate. A cancel that got here first wins: 409, put the goods back."""
        if order.status in CANCELLING:
            raise HandOverRefused(
                f"Order {order.order_id} was cancelled: do not hand it to the carrier; put the goods back.",
                order_status=str(order.status),
            )
        if order.status not in WAITING_FOR_GOODS:
            self._orders.write(OrderWrite(order, claim=claim))  # a copy of the hand-over answers "duplicate"
            self._resume_dispatch(order)
            return PartnerWebhookResult(ignored=f"order is {order.status}")
        now = self._now()
        url = tracking_url(event.carrier, event.tracking_number)
        detail = {
            "carrier": event.carrier,
            "tracking_number": event.tracking_number,
            "tracking_url": url,
            "parcels": len(event.parcels),
        }
        entry = next_entry(order, S.HANDED_TO_CARRIER, "OrderHandedToCarrier", detail, "warehouse", now)
        after = shipment.model_copy(
            update={
                "status": ShipmentStatus.HANDED_TO_CARRIER,
                "carrier": event.carrier,
                "tracking_number": event.tracking_number,
                "tracking_url": url,
                "parcels": list(event.parcels) or shipment.parcels,
                "updated_at": now,
            }
        )
        self._orders.write(
            OrderWrite(order, to=S.HANDED_TO_CARRIER, entry=entry, keep_token=True, shipment=after, claim=claim)
        )
        self._resume_dispatch(self._order(order.order_id))
        return PartnerWebhookResult(applied="handed_to_carrier")

    def _resume_dispatch(self, order: Order) -> None:
        """Complete the Dispatch task (again, for a redelivered hand-over: a task already gone is fine)."""
        if order.status is S.HANDED_TO_CARRIER and order.task_token:
            self._succeed(order.task_token, {"order_id": order.order_id, "handed_over": True})

    # ---- the carriers' webhooks ---------------------------------------------------------------------------
    def on_carrier_event(self, event: CarrierEvent) -> PartnerWebhookResult:
        def apply(order: Order, shipment: Shipment, claim: str) -> PartnerWebhookResult:
            if shipment.tracking_number is None:
                raise NotReadyYet(f"Order {event.order_id} has not been handed to a carrier yet.")
            if shipment.tracking_number != event.tracking_number:
                return PartnerWebhookResult(ignored="another tracking number")
            return self._track(order, shipment, event, claim)

        resume = self._resume_delivery if event.type == "shipment.delivered" else None
        return self._apply_once(event.order_id, f"carrier#{event.event_id}", apply, resume)

    def _track(self, order: Order, shipment: Shipment, event: CarrierEvent, claim: str) -> PartnerWebhookResult:
        kind = ShipmentStatus(event.type.removeprefix("shipment."))
        final = kind in CARRIER_FINAL
        if final and order.status is S.HANDED_TO_CARRIER:
            raise NotReadyYet(f"Order {order.order_id} is still being shipped; send the event again shortly.")
        now = self._now()
        scan = TrackingEvent(
            type=str(kind),
            at=event.occurred_at,
            location=event.location,
            detail=f"Signed for by {event.signed_by}" if event.signed_by else event.reason,
        )
        update: dict[str, Any] = {
            "tracking": sorted([*shipment.tracking, scan], key=lambda e: e.at),
            "updated_at": now,
        }
        newer = shipment.last_occurred_at is None or event.occurred_at >= shipment.last_occurred_at
        moves = shipment.status not in CARRIER_FINAL and (final or newer)
        if moves:
            update |= {"status": kind, "last_occurred_at": max(event.occurred_at, shipment.last_occurred_at or "")}
            if event.signed_by:
                update["signed_by"] = event.signed_by
        after = shipment.model_copy(update=update)
        detail = {"carrier": event.carrier, "tracking_number": event.tracking_number}
        change = OrderWrite(order, shipment=after, claim=claim)
        if moves and kind is ShipmentStatus.DELIVERED and order.status is S.SHIPPED:
            entry = next_entry(
                order, S.DELIVERED, "OrderDelivered", detail | {"signed_by": event.signed_by}, "carrier", now
            )
            change = OrderWrite(order, to=S.DELIVERED, entry=entry, keep_token=True, shipment=after, claim=claim)
        elif moves and kind is ShipmentStatus.RETURNED_TO_SENDER and order.status is S.SHIPPED:
            entry = next_entry(
                order, S.RETURNED_TO_SENDER, "OrderReturnedToSender", detail | {"reason": event.reason}, "carrier", now
            )
            change = OrderWrite(
                order, to=S.RETURNED_TO_SENDER, entry=entry, keep_token=True, shipment=after, claim=claim
            )
        elif kind is ShipmentStatus.DELIVERY_FAILED and shipment.status not in CARRIER_FINAL:
            entry = next_entry(
                order, order.status, "OrderDeliveryFailed", detail | {"reason": event.reason}, "carrier", now
            )
            change = OrderWrite(order, entry=entry, keep_token=True, shipment=after, claim=claim)
        self._orders.write(change)
        after_order = self._order(order.order_id)
        if after_order.status is S.DELIVERED:
            self._resume_delivery(after_order)
        elif after_order.status is S.RETURNED_TO_SENDER and after_order.task_token and change.to is not None:
            self._fail(after_order.task_token, "ReturnedToSender", event.reason or "returned to sender")
        return (
            PartnerWebhookResult(applied=str(kind))
            if moves
            else PartnerWebhookResult(ignored="recorded; status unchanged")
        )

    def _resume_delivery(self, order: Order) -> None:
        if order.status is S.DELIVERED and order.task_token:
            self._succeed(
                order.task_token, {"order_id": order.order_id, "return_window_seconds": self._return_window()}
            )

    # ---- the workflow's tasks (orders-transition: ship, complete) ---------------------------------------
    def ship(self, order_id: str, task_token: str) -> dict[str, Any]:
        """At hand-over: capture (capture 1, idempotent), then one transaction deducts the stock,
        moves the order to shipped and writes OrderDispatched; the token waits for delivered."""
        order = self._order(order_id)
        if order.status in (S.SHIPPED, S.DELIVERED, S.RETURNED_TO_SENDER):  # a retried task
            if order.status is S.SHIPPED and order.task_token != task_token:
                self._orders.store_task_token(order, task_token)
            elif order.status is S.DELIVERED:
                self._succeed(task_token, {"order_id": order_id, "return_window_seconds": self._return_window()})
            return {"order_id": order_id, "status": str(order.status)}
        if order.status is not S.HANDED_TO_CARRIER:
            raise OrderStateConflict(f"Order {order_id} is {order.status}; it cannot ship.")
        shipment = self._shipment(order_id)
        if self._payments is None:
            raise RuntimeError("this service was built without payments")
        captured = self._payments.capture_for_dispatch(order_id)
        detail = {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "warehouse": shipment.warehouse,
            "captured": captured,
        }
        entry = next_entry(order, S.SHIPPED, "OrderDispatched", detail, "workflow", self._now())
        self._orders.write(
            OrderWrite(order, to=S.SHIPPED, entry=entry, task_token=task_token, deduct_from=shipment.warehouse)
        )
        return {"order_id": order_id, "status": str(S.SHIPPED)}

    def complete(self, order_id: str) -> dict[str, Any]:
        order = self._order(order_id)
        if order.status is S.DELIVERED:
            entry = next_entry(order, S.COMPLETED, "OrderCompleted", {}, "workflow", self._now())
            self._orders.write(OrderWrite(order, to=S.COMPLETED, entry=entry))
        elif order.status is not S.COMPLETED:
            raise OrderStateConflict(f"Order {order_id} is {order.status}; it cannot complete.")
        return {"order_id": order_id, "status": str(S.COMPLETED)}

    # ---- a cancel before the gate (orders' Cancel step) ----------------------------------------------------
    def recall(self, order_id: str) -> str | None:
        """Tell the warehouse to put the goods back. None when nothing was dispatched."""
        shipment = self._orders.shipment(order_id)
        if shipment is None or shipment.dispatch_id is None:
            return None
        if shipment.status is ShipmentStatus.CANCELLED:
            return "put_back"
        put_back = self._warehouse_required().cancel(
            shipment.dispatch_id, order_id, "order cancelled", f"{order_id}:cancel:1"
        )
        if not put_back:
            logger.error("the warehouse handed over a cancelled order", extra={"order_id": order_id})
            return "handed_over"
        self._update_shipment(order_id, lambda s: s.model_copy(update={"status": ShipmentStatus.CANCELLED}))
        return "put_back"

    # ---- helpers -------------------------------------------------------------------------------------------
    def _update_shipment(self, order_id: str, change: Callable[[Shipment], Shipment]) -> Shipment:
        for _ in range(ATTEMPTS):
            order, shipment = self._order(order_id), self._shipment(order_id)
            after = change(shipment).model_copy(update={"updated_at": self._now()})
            try:
                self._orders.write(OrderWrite(order, shipment=after))
            except OrderStateConflict:
                continue
            return after.model_copy(update={"version": after.version + 1})
        raise OrderStateConflict(f"The shipment of order {order_id} keeps changing.")

    def _order(self, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(f"No order {order_id}.")
        return order

    def _shipment(self, order_id: str) -> Shipment:
        shipment = self._orders.shipment(order_id)
        if shipment is None:
            raise ShipmentNotFound(f"No dispatch was requested for order {order_id}.")
        return shipment

    def _warehouse_required(self) -> WarehouseSystem:
        if self._warehouse is None:
            raise RuntimeError("this service was built without a warehouse system")
        return self._warehouse

    def _succeed(self, task_token: str, output: dict[str, Any]) -> None:
        if self._callback is not None and not self._callback.succeed(task_token, output):
            logger.info("waiting task already gone")

    def _fail(self, task_token: str, error: str, cause: str) -> None:
        if self._callback is not None and not self._callback.fail(task_token, error, cause):
            logger.info("waiting task already gone")

    def _now(self) -> str:
        return iso_at(self._clock())
