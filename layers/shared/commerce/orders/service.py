"""Order use cases: place (one transaction, then start the workflow), read, and the workflow's
transitions. Pure logic over the ports."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from commerce.checkout.errors import InvalidQuoteToken
from commerce.checkout.tokens import QuoteClaims, owner_of, verify
from commerce.common.clock import iso, new_id
from commerce.orders.errors import (
    IdempotencyKeyReused,
    IdempotencyRecordExists,
    OrderNotFound,
    OrderStateConflict,
)
from commerce.orders.models import (
    DEFAULT_PAYMENT_WINDOW_SECONDS,
    HOLD_SHARDS,
    HOLDING,
    IdempotencyRecord,
    Order,
    OrderDetail,
    OrderLine,
    OrderPage,
    OrderStatus,
    PlaceOrderRequest,
    TimelineEntry,
    can_move,
    summary_of,
)
from commerce.orders.ports import Events, OrderRepository, Payments, Workflow

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
    order_id: str, customer_id: str, claims: QuoteClaims, window: int, now: float
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
        detail={"total": order.total, "currency": order.currency, "quote_id": order.quote_id},
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
        events: Events | None = None,
        now: Callable[[], float] = time.time,
        window: Callable[[], int] = lambda: DEFAULT_PAYMENT_WINDOW_SECONDS,
    ) -> None:
        self._orders = orders
        self._workflow = workflow
        self._key = key
        self._payments = payments
        self._events = events
        self._now = now
        self._window = window

    # ---- placing ----------------------------------------------------------------------------------
    def place(self, customer_id: str, idempotency_key: str, request: PlaceOrderRequest) -> tuple[Order, bool]:
        """(the order, True when created now). Two sequential AWS calls: the transaction, the start."""
        if self._key is None or self._workflow is None:
            raise RuntimeError("this service was built without a signing key or a workflow")
        now = self._now()
        claims = verify(request.quote_token, self._key(), int(now))
        if claims.owner != owner_of(customer_id, ""):
            raise InvalidQuoteToken("This quote token was not issued to you.")
        digest = body_hash(request)
        order, first = new_order(new_id("ord"), customer_id, claims, self._window(), now)
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
        return OrderDetail(order=order, timeline=self._orders.timeline(order_id), payment=payment)

    def history(self, customer_id: str, limit: int, cursor: str | None) -> OrderPage:
        orders, next_cursor = self._orders.page(customer_id, limit, cursor)
        return OrderPage(orders=[summary_of(o) for o in orders], next_cursor=next_cursor)

    # ---- workflow transitions -------------------------------------------------------------------------
    def transition(self, action: str, order_id: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """``authorised``: awaiting_payment -> payment_authorised (stock stays reserved).
        ``declined``: -> payment_declined, stock released. ``expire``: -> expired, stock released,
        any authorisation voided. Idempotent: a repeated transition answers the current status."""
        target = {
            "authorised": OrderStatus.PAYMENT_AUTHORISED,
            "declined": OrderStatus.PAYMENT_DECLINED,
            "expire": OrderStatus.EXPIRED,
        }.get(action)
        if target is None:
            raise ValueError(f"unknown action {action!r}")
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(f"No order {order_id}.")
        moved = False
        if order.status == target:
            pass  # a retried task: already done
        elif not can_move(order.status, target):
            raise OrderStateConflict(f"Order {order_id} is {order.status}; cannot become {target}.")
        else:
            self._move(order, target, detail or {})
            moved = True
        if target is OrderStatus.EXPIRED and self._payments is not None:
            self._payments.void_if_authorised(order_id)  # idempotent; nothing to void is fine
        if moved and target is not OrderStatus.PAYMENT_AUTHORISED and self._events is not None:
            self._events.publish(
                SOURCE,
                "OrderExpired",
                {
                    "event_id": f"{order_id}:{order.timeline_seq + 1}",
                    "occurred_at": iso_at(self._now()),
                    "order_id": order_id,
                    "customer_id": order.customer_id,
                    "status": str(target),
                    "reason": "payment_declined" if target is OrderStatus.PAYMENT_DECLINED else "payment_window_closed",
                },
            )
        return {"order_id": order_id, "status": str(target)}

    def _move(self, order: Order, target: OrderStatus, detail: dict[str, Any]) -> None:
        at = iso_at(self._now())
        seq = order.timeline_seq + 1
        entry = TimelineEntry(
            event_id=f"{order.order_id}:{seq}",
            seq=seq,
            type={
                OrderStatus.PAYMENT_AUTHORISED: "OrderPaymentAuthorised",
                OrderStatus.PAYMENT_DECLINED: "OrderPaymentDeclined",
                OrderStatus.EXPIRED: "OrderExpired",
            }[target],
            at=at,
            by="workflow",
            detail={k: v for k, v in detail.items() if k in ("payment_id", "reference", "outcome", "decline_code")},
        )
        self._orders.move(order, target, entry, release=target not in HOLDING, now=at)
