"""Order use cases: place (one transaction, then start the workflow), read, and the workflow's
transitions. Pure logic over the ports."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from commerce.audit import log as audit_log
from commerce.checkout.errors import InvalidQuoteToken
from commerce.checkout.tokens import QuoteClaims, owner_of, verify
from commerce.common.clock import iso, new_id
from commerce.orders import risk
from commerce.orders.errors import (
    IdempotencyKeyReused,
    IdempotencyRecordExists,
    OrderCancelled,
    OrderNotAwaitingRetry,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotInReview,
    OrderPastInterception,
    OrderStateConflict,
    PaymentWindowClosed,
)
from commerce.orders.models import (
    CANCELLABLE,
    DEFAULT_PAYMENT_WINDOW_SECONDS,
    HOLD_SHARDS,
    PAST_GATE,
    RELEASING,
    IdempotencyRecord,
    Order,
    OrderDetail,
    OrderLine,
    OrderPage,
    OrderStatus,
    PlaceOrderRequest,
    S,
    TimelineEntry,
    can_move,
    summary_of,
)
from commerce.orders.ports import Callback, OrderRepository, Payments, Workflow

SOURCE = "commerce.orders"


def body_hash(request: PlaceOrderRequest) -> str:
    raw = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def hold_shard(order_id: str) -> str:
    return f"HOLD#{int(hashlib.sha256(order_id.encode()).hexdigest(), 16) % HOLD_SHARDS}"


def status_url(order_id: str) -> str:
    return f"/me/orders/{order_id}"


def workflow_input(order: Order, payment_token: str) -> dict[str, Any]:
    """The execution's input: a function of the stored order and the request, so a replay starts
    (or finds) exactly the same execution."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "amount": order.total,
        "currency": order.currency,
        "token": payment_token,
        "payment_window_seconds": order.payment_window_seconds,
        "placed_at": order.created_at,
        "item_count": sum(line.quantity for line in order.lines),
    }


def new_order(
    order_id: str, customer_id: str, claims: QuoteClaims, window: int, now: float, contact_email: str | None = None
) -> tuple[Order, TimelineEntry]:
    at = iso_at(now)
    order = Order(
        order_id=order_id,
        customer_id=customer_id,
        status=OrderStatus.AWAITING_PAYMENT,
        quote_id=claims.quote_id,
        currency=claims.currency,
        lines=[OrderLine.model_validate(line.model_dump()) for line in claims.lines],
        subtotal=claims.subtotal,
        shipping=claims.shipping,
        discount_total=claims.discount_total,
        tax=claims.tax,
        total=claims.total,
        shipping_address=claims.shipping_address,
        invoice=claims.invoice,
        note=claims.note,
        payment_method=claims.payment_method,
        contact_email=contact_email,
        payment_window_seconds=window,
        reserved_until=int(now) + window,
        created_at=at,
        updated_at=at,
        timeline_seq=1,
    )
    entry = TimelineEntry(
        event_id=f"{order_id}:1",
        seq=1,
        type="OrderPlaced",
        at=at,
        by=f"customer:{customer_id}",
        detail={
            "customer_id": customer_id,
            "status": str(order.status),
            "total": order.total,
            "currency": order.currency,
            "quote_id": order.quote_id,
        },
    )
    return order, entry


def iso_at(epoch: float) -> str:
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(epoch, UTC))


class OrderService:
    def __init__(
        self,
        orders: OrderRepository,
        workflow: Workflow | None = None,
        key: Callable[[], bytes] | None = None,
        payments: Payments | None = None,
        now: Callable[[], float] = time.time,
        window: Callable[[], int] = lambda: DEFAULT_PAYMENT_WINDOW_SECONDS,
        callback: Callback | None = None,
        risk_rules: Callable[[], risk.RiskRules] = risk.RiskRules,
        recall: Callable[[str], str | None] | None = None,
    ) -> None:
        self._recall = recall  # fulfilment's: tell the warehouse to put a cancelled order's goods back
        self._orders = orders
        self._workflow = workflow
        self._key = key
        self._payments = payments
        self._now = now
        self._window = window
        self._callback = callback
        self._risk = risk_rules

    # ---- placing ----------------------------------------------------------------------------------
    def place(
        self, customer_id: str, idempotency_key: str, request: PlaceOrderRequest, contact_email: str | None = None
    ) -> tuple[Order, bool]:
        """(the order, True when created now). Two sequential AWS calls: the transaction, the start."""
        if self._key is None or self._workflow is None:
            raise RuntimeError("this service was built without a signing key or a workflow")
        now = self._now()
        claims = verify(request.quote_token, self._key(), int(now))
        if claims.owner != owner_of(customer_id, ""):
            raise InvalidQuoteToken("This quote token was not issued to you.")
        digest = body_hash(request)
        order, first = new_order(new_id("ord"), customer_id, claims, self._window(), now, contact_email)
        record = IdempotencyRecord(
            customer_id=customer_id, key=idempotency_key, body_hash=digest, order_id=order.order_id
        )
        try:
            self._orders.place(order, first, record, claims.expires_at)
        except IdempotencyRecordExists:
            return self._replay(customer_id, idempotency_key, digest, request), False
        self._workflow.start(order.order_id, workflow_input(order, request.payment_token))
        return order, True

    def _replay(self, customer_id: str, key: str, digest: str, request: PlaceOrderRequest) -> Order:
        record = self._orders.idempotency(customer_id, key)
        if record is None:  # cannot happen: the record made the transaction fail
            raise RuntimeError("idempotency record vanished")
        if record.body_hash != digest:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request; use a new key for a new order."
            )
        order = self._orders.get(record.order_id)
        if order is None:
            raise RuntimeError("idempotency record without its order")
        assert self._workflow is not None
        self._workflow.start(order.order_id, workflow_input(order, request.payment_token))  # idempotent by name
        return order

    # ---- reading ----------------------------------------------------------------------------------
    def detail(self, customer_id: str, order_id: str) -> OrderDetail:
        order = self._orders.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise OrderNotFound(f"No order {order_id}.")  # another customer's order is not yours to see
        payment = self._payments.state(order_id) if self._payments is not None else None
        shipment = self._orders.shipment(order_id)
        return OrderDetail(order=order, timeline=self._orders.timeline(order_id), payment=payment, shipment=shipment)

    def history(self, customer_id: str, limit: int, cursor: str | None) -> OrderPage:
        orders, next_cursor = self._orders.page(customer_id, limit, cursor)
        return OrderPage(orders=[summary_of(o) for o in orders], next_cursor=next_cursor)

    # ---- workflow transitions (orders-transition; docs/orders.md sections 3 and 4) -------------------------
    def transition(self, action: str, order_id: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """One workflow task. Every action is idempotent (tasks are retried): a repeated transition
        answers the current state. An order found ``cancel_requested`` raises ``OrderCancelled``
        (the ASL catches it and goes to ``Cancel``), except in ``cancel`` itself."""
        detail = detail or {}
        order = self._order(order_id)
        if order.status is S.CANCEL_REQUESTED and action != "cancel":
            raise OrderCancelled(f"Order {order_id} is being cancelled.")
        match action:
            case "authorised":
                self._step(order, S.PAYMENT_AUTHORISED, "OrderPaymentAuthorised", _payment_detail(detail))
                return {"order_id": order_id, "status": str(S.PAYMENT_AUTHORISED)}
            case "accept":
                return self._accept(order, detail)
            case "declined":
                return self._declined(order, detail)
            case "await_payment_retry":
                return self._store_token(order, S.AWAITING_PAYMENT_RETRY, str(detail["task_token"]))
            case "expire":
                return self._close(order, S.EXPIRED, "OrderExpired", {"reason": "payment_window_closed"})
            case "risk_check":
                return self._risk_check(order)
            case "await_review":
                return self._await_review(order, str(detail["task_token"]), list(detail.get("reasons") or []))
            case "review_timeout":
                return self._review_timeout(order)
            case "ready":
                return self._ready(order)
            case "reject":
                return self._close(order, S.REJECTED, "OrderRejected", {"reason": "review_rejected"})
            case "cancel":
                return self._finish_cancel(order)
        raise ValueError(f"unknown action {action!r}")

    def _accept(self, order: Order, detail: dict[str, Any]) -> dict[str, Any]:
        """The happy path's one task after the payment: authorised, the risk check, and ready for
        fulfilment unless a rule flags it (then WaitForReview). Each move is its own conditional
        write, so a retried task carries on from where the last try stopped."""
        if order.status is S.AWAITING_PAYMENT:
            self._step(order, S.PAYMENT_AUTHORISED, "OrderPaymentAuthorised", _payment_detail(detail))
            order = self._order(order.order_id)
        if order.status is S.PAYMENT_AUTHORISED:
            risk_found = self._risk_check(order)
            if not risk_found["flagged"]:
                self._ready(order)
            return risk_found
        if order.status in (S.READY_FOR_FULFILMENT, S.IN_REVIEW):  # a retry after the last move
            return {"order_id": order.order_id, "flagged": order.status is S.IN_REVIEW, "reasons": []}
        raise OrderStateConflict(f"Order {order.order_id} is {order.status}; it cannot be accepted.")

    def _declined(self, order: Order, detail: dict[str, Any]) -> dict[str, Any]:
        """awaiting_payment -> awaiting_payment_retry (the stock stays held for the rest of the
        window). Answers what is left of the window: AwaitRetry's timeout."""
        self._step(order, S.AWAITING_PAYMENT_RETRY, "OrderPaymentDeclined", _payment_detail(detail))
        return {
            "order_id": order.order_id,
            "status": str(S.AWAITING_PAYMENT_RETRY),
            "retry_window_seconds": max(1, self._remaining(order)),
        }

    def _store_token(self, order: Order, status: OrderStatus, task_token: str) -> dict[str, Any]:
        if order.status is not status:
            raise OrderStateConflict(f"Order {order.order_id} is {order.status}, not {status}.")
        try:
            self._orders.store_task_token(order, task_token)
        except OrderStateConflict:
            if self._order(order.order_id).status is S.CANCEL_REQUESTED:
                raise OrderCancelled(f"Order {order.order_id} is being cancelled.") from None
            raise
        return {"order_id": order.order_id, "status": str(status)}

    def _risk_check(self, order: Order) -> dict[str, Any]:
        if order.status is not S.PAYMENT_AUTHORISED:
            raise OrderStateConflict(f"Order {order.order_id} is {order.status}; the risk check follows authorisation.")
        since = iso_at(self._now() - 3600)
        found = risk.reasons(order, self._orders.orders_since(order.customer_id, since), self._risk())
        return {"order_id": order.order_id, "flagged": bool(found), "reasons": found}

    def _await_review(self, order: Order, task_token: str, reasons: list[str]) -> dict[str, Any]:
        if order.status is S.IN_REVIEW:
            return self._store_token(order, S.IN_REVIEW, task_token)  # a retried task: refresh the token
        self._step(order, S.IN_REVIEW, "OrderFlaggedForReview", {"reasons": reasons}, task_token=task_token)
        return {"order_id": order.order_id, "status": str(S.IN_REVIEW)}

    def _review_timeout(self, order: Order) -> dict[str, Any]:
        """Nobody decided within the review timeout: rejected. If staff decided as the wait timed
        out, their decision (already stored) stands."""
        if order.status is S.IN_REVIEW:
            self._step(order, S.REJECTED, "OrderRejected", {"reason": "review_timed_out"})
            return {"order_id": order.order_id, "decision": "rejected"}
        if order.status in (S.APPROVED, S.READY_FOR_FULFILMENT):
            return {"order_id": order.order_id, "decision": "approved"}
        return {"order_id": order.order_id, "decision": "rejected"}

    def _ready(self, order: Order) -> dict[str, Any]:
        if order.status is not S.READY_FOR_FULFILMENT:
            self._step(order, S.READY_FOR_FULFILMENT, "OrderReadyForFulfilment", {})
        return {"order_id": order.order_id, "status": str(S.READY_FOR_FULFILMENT)}

    def _close(self, order: Order, target: OrderStatus, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
        """-> expired | rejected: stock released in the same transaction, then the payment voided
        (or refunded) through the payments service, which is idempotent."""
        if order.status is not target:
            self._step(order, target, kind, detail)
        payment = self._payments.release_payment(order.order_id) if self._payments is not None else None
        return {"order_id": order.order_id, "status": str(target), "payment": payment}

    def _finish_cancel(self, order: Order) -> dict[str, Any]:
        """cancel_requested -> cancelled (one transaction: status, timeline, stock released), then
        the warehouse told to put back what it picked, then void or refund. Run by the workflow's
        Cancel state."""
        # the warehouse first: once the order says cancelled, the goods are back on the shelves
        goods = self._recall(order.order_id) if self._recall is not None else None
        if order.status is S.CANCEL_REQUESTED:
            entries = self._orders.timeline(order.order_id)
            asked = next((e for e in reversed(entries) if e.type == "OrderCancellationRequested"), None)
            detail = {"reason": asked.detail.get("reason"), "requested_by": asked.by} if asked else {}
            self._step(order, S.CANCELLED, "OrderCancelled", detail)
        elif order.status is not S.CANCELLED:
            raise OrderStateConflict(f"Order {order.order_id} is {order.status}; it was not asked to cancel.")
        payment = self._payments.release_payment(order.order_id) if self._payments is not None else None
        return {"order_id": order.order_id, "status": str(S.CANCELLED), "payment": payment, "goods": goods}

    # ---- requests that complete a waiting task (customer and staff routes) ------------------------------
    def retry_payment(self, customer_id: str, order_id: str, payment_token: str) -> Order:
        """The declined customer's new card token: awaiting_payment_retry -> awaiting_payment, then
        the AwaitRetry task is completed with the token and what is left of the window."""
        order = self._own(customer_id, order_id)
        if order.status is not S.AWAITING_PAYMENT_RETRY or order.task_token is None:
            raise OrderNotAwaitingRetry(
                f"Order {order_id} is not waiting for a new payment.", order_status=str(order.status)
            )
        remaining = self._remaining(order)
        if remaining <= 0:
            raise PaymentWindowClosed(f"The payment window of order {order_id} has closed.")
        token = order.task_token
        self._step(order, S.AWAITING_PAYMENT, "OrderPaymentRetried", {}, by=f"customer:{customer_id}")
        self._callback_required().succeed(token, {"token": payment_token, "payment_window_seconds": remaining})
        return self._order(order_id)

    def review(self, order_id: str, staff: str, approve: bool, reason: str | None = None) -> Order:
        """Staff decide a flagged order: in_review -> approved | rejected (stock released), then the
        WaitForReview task is completed with the decision. Anything else: 409 ORDER_NOT_IN_REVIEW."""
        order = self._order(order_id)
        if order.status is not S.IN_REVIEW or order.task_token is None:
            raise OrderNotInReview(f"Order {order_id} is not waiting for review.", order_status=str(order.status))
        token = order.task_token
        detail = {"reason": reason} if reason else {}
        if approve:
            self._step(order, S.APPROVED, "OrderApproved", detail, by=f"staff:{staff}")
        else:
            self._step(order, S.REJECTED, "OrderRejected", {"reason": reason or "rejected"}, by=f"staff:{staff}")
        decision = "approved" if approve else "rejected"
        self._callback_required().succeed(token, {"decision": decision, "by": f"staff:{staff}"})
        after = self._order(order_id)
        audit_log.changed("orders", order_id, {"status": str(order.status)}, {"status": str(after.status)} | detail)
        return after

    def cancel(self, order_id: str, by: str, reason: str | None, customer_id: str | None = None) -> Order:
        """A customer's (own orders only) or staff cancel, before the interception gate.

        One conditional write moves the status to cancel_requested. Then the waiting task, if any,
        is failed with ``OrderCancelled`` and the workflow's Cancel state finishes (void or refund,
        release, goods put back, cancelled). With no token stored (the workflow is between tasks,
        or the dispatch request is still queued), the next task or the dispatch handler finds
        cancel_requested and fails itself."""
        for _ in range(5):
            order = self._order(order_id)
            if customer_id is not None and order.customer_id != customer_id:
                raise OrderNotFound(f"No order {order_id}.")
            if order.status in (S.CANCEL_REQUESTED, S.CANCELLED):
                return order  # asked already: the same answer
            if order.status in PAST_GATE:
                raise OrderPastInterception(
                    f"Order {order_id} has been handed to the carrier; it can no longer be cancelled. "
                    "Request a return once it arrives.",
                    order_status=str(order.status),
                    return_url=return_url(order_id),
                )
            if order.status not in CANCELLABLE:
                raise OrderNotCancellable(f"Order {order_id} is {order.status}.", order_status=str(order.status))
            detail = {"reason": reason, "previous_status": str(order.status)}
            try:
                self._step(order, S.CANCEL_REQUESTED, "OrderCancellationRequested", detail, by=by)
            except OrderStateConflict:
                continue  # moved meanwhile (the workflow or a hand-over): decide again on the new status
            self._stop_waiting(order)
            after = self._order(order_id)
            audit_log.changed("orders", order_id, {"status": str(order.status)}, {"status": str(after.status)} | detail)
            return after
        raise OrderStateConflict(f"Order {order_id} keeps changing; try again.")

    def _stop_waiting(self, before: Order) -> None:
        """Fail the waiting task with OrderCancelled (the workflow's Cancel step finishes)."""
        token = before.task_token
        if before.status is S.AWAITING_PAYMENT and self._payments is not None:
            token = self._payments.task_token(before.order_id)
        if token:
            self._callback_required().fail(token, "OrderCancelled", "The order was cancelled.")
        # No token (the workflow is between tasks, or the dispatch request is still queued): its next
        # task or the dispatch handler finds cancel_requested and fails with OrderCancelled, so the
        # Cancel state runs all the same.

    # ---- helpers -------------------------------------------------------------------------------------
    def _order(self, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(f"No order {order_id}.")
        return order

    def _own(self, customer_id: str, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise OrderNotFound(f"No order {order_id}.")
        return order

    def _remaining(self, order: Order) -> int:
        if order.reserved_until is None:
            return 0
        return int(order.reserved_until - self._now())

    def _callback_required(self) -> Callback:
        if self._callback is None:
            raise RuntimeError("this service was built without a workflow callback")
        return self._callback

    def _step(
        self,
        order: Order,
        target: OrderStatus,
        kind: str,
        detail: dict[str, Any],
        by: str = "workflow",
        task_token: str | None = None,
    ) -> None:
        """One move: status (conditional on the old one), the next timeline entry, the stock release
        when ``target`` ends the order. The entry reaches the bus through the outbox (the table's stream)."""
        if order.status is target:
            return  # a retried task: already done
        if not can_move(order.status, target):
            raise OrderStateConflict(f"Order {order.order_id} is {order.status}; cannot become {target}.")
        at = iso_at(self._now())
        entry = next_entry(order, target, kind, detail, by, at)
        self._orders.move(
            order,
            target,
            entry,
            release=target in RELEASING,
            now=at,
            task_token=task_token,
            leave_holds=target is S.PAYMENT_AUTHORISED,
        )


def next_entry(order: Order, status: OrderStatus, kind: str, detail: dict[str, Any], by: str, at: str) -> TimelineEntry:
    """The order's next timeline entry (``event_id`` = ``<order_id>:<seq>``); every event of an
    order says whose it is and the status it leaves the order in (the outbox publishes it as is)."""
    seq = order.timeline_seq + 1
    return TimelineEntry(
        event_id=f"{order.order_id}:{seq}",
        seq=seq,
        type=kind,
        at=at,
        by=by,
        detail={"customer_id": order.customer_id, "status": str(status)}
        | {k: v for k, v in detail.items() if v is not None},
    )


def return_url(order_id: str) -> str:
    """Where a customer asks for a return (the returns issue builds it)."""
    return f"/me/orders/{order_id}/returns"


def _payment_detail(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k in ("payment_id", "reference", "attempt", "decline_code")}
