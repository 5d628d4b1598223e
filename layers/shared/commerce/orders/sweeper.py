"""The reservation sweeper (docs/orders.md section 5): releases the stock of orders whose hold is
past its time and whose workflow is not running (it died, was stopped, or never started because
placement crashed between its two calls).

For each order in the sparse ``holds`` index (shards ``HOLD#0..7``) with ``reserved_until`` before
now: re-read it (consistent); only a status that waits for payment (``awaiting_payment*``) is
swept; ask Step Functions about the execution named by the order id; RUNNING -> leave it (the
workflow's own timeout releases it); otherwise ONE transaction: the status to ``expired``
(conditional on the status and ``timeline_seq`` read), the ``OrderExpired`` timeline entry (by
``system:sweeper``, so the outbox publishes it), the stock release, and the hold attributes removed
(the index forgets the order); then any authorisation the dead workflow left is voided (the
payments service is idempotent). Conditional writes make it idempotent and safe to run concurrently
with itself and with the workflow: the loser gets a conflict and moves on."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from commerce.common.observability import logger
from commerce.orders.errors import OrderStateConflict
from commerce.orders.models import HOLD_SHARDS, Order, OrderStatus, TimelineEntry
from commerce.orders.service import iso_at

BY = "system:sweeper"
SWEEPABLE_PREFIX = "awaiting_payment"  # awaiting_payment and its variants (a payment retry's wait)


class SweptOrders(Protocol):
    def holds_due(self, shard: str, now: int, cursor: dict[str, Any] | None = None) -> tuple[list[str], Any]: ...

    def get(self, order_id: str) -> Order | None: ...

    def move(self, order: Order, to: OrderStatus, entry: TimelineEntry, release: bool, now: str) -> None: ...


class Executions(Protocol):
    def describe(self, name: str) -> dict[str, Any] | None: ...


class ReleasedPayments(Protocol):
    def release_payment(self, order_id: str) -> str | None: ...


class Sweeper:
    def __init__(
        self,
        orders: SweptOrders,
        executions: Executions,
        now: Callable[[], float] = time.time,
        payments: ReleasedPayments | None = None,
    ) -> None:
        self._orders = orders
        self._executions = executions
        self._now = now
        self._payments = payments

    def sweep(self) -> dict[str, list[str]]:
        """What happened to each order found: released, running (left), skipped (not waiting for
        payment, or gone), conflict (someone else moved it first)."""
        now = self._now()
        outcome: dict[str, list[str]] = {"released": [], "running": [], "skipped": [], "conflict": []}
        for n in range(HOLD_SHARDS):
            cursor: dict[str, Any] | None = None
            while True:
                ids, cursor = self._orders.holds_due(f"HOLD#{n}", int(now), cursor)
                for order_id in ids:
                    outcome[self._sweep_one(order_id, now)].append(order_id)
                if not cursor:
                    break
        logger.info("reservations swept", extra={k: len(v) for k, v in outcome.items()})
        return outcome

    def _sweep_one(self, order_id: str, now: float) -> str:
        order = self._orders.get(order_id)
        if (
            order is None
            or not str(order.status).startswith(SWEEPABLE_PREFIX)
            or order.reserved_until is None
            or order.reserved_until >= now
        ):
            return "skipped"
        execution = self._executions.describe(order_id)
        if execution is not None and execution["status"] == "RUNNING":
            return "running"
        seq = order.timeline_seq + 1
        at = iso_at(now)
        entry = TimelineEntry(
            event_id=f"{order_id}:{seq}",
            seq=seq,
            type="OrderExpired",
            at=at,
            by=BY,
            detail={
                "customer_id": order.customer_id,
                "status": str(OrderStatus.EXPIRED),
                "reason": "reservation_swept",
                "execution_status": execution["status"] if execution else "NONE",
            },
        )
        try:
            self._orders.move(order, OrderStatus.EXPIRED, entry, release=True, now=at)
        except OrderStateConflict:
            return "conflict"
        if self._payments is not None:  # a dead workflow may have left an authorisation behind: void it
            self._payments.release_payment(order_id)
        logger.info("hold released", extra={"order_id": order_id, "execution_status": entry.detail["execution_status"]})
        return "released"
