"""Reconciliation (docs/fulfilment.md section 6): finds orders whose workflow ended unexpectedly
(its execution FAILED, TIMED_OUT or was ABORTED, e.g. a capture the bank refused at hand-over, a
warehouse that never answered, an operator's stop) while the order is not finished, and raises
each for staff: ``attention`` on the order and an ``OrderNeedsAttention`` timeline entry (by
``system:reconciler``; the outbox publishes it). The status is left as it is: staff decide.

Idempotent: an order already raised for the same execution end is skipped, so overlapping
look-back windows are harmless."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from commerce.common.observability import logger
from commerce.orders.errors import OrderStateConflict
from commerce.orders.models import FINISHED, Order
from commerce.orders.ports import OrderWrite
from commerce.orders.service import iso_at, next_entry

BY = "system:reconciler"
LOOK_BACK_SECONDS = 2 * 86400  # each run re-reads two days: a missed run loses nothing


class ReconciledOrders(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def write(self, change: OrderWrite) -> None: ...


class EndedExecutions(Protocol):
    def ended_badly(self, since: float) -> list[dict[str, Any]]: ...


class Reconciler:
    def __init__(
        self, orders: ReconciledOrders, executions: EndedExecutions, now: Callable[[], float] = time.time
    ) -> None:
        self._orders = orders
        self._executions = executions
        self._now = now

    def run(self) -> dict[str, list[str]]:
        """What happened to each order found: raised, finished (nothing to do), already, missing."""
        outcome: dict[str, list[str]] = {"raised": [], "finished": [], "already": [], "missing": []}
        now = self._now()
        for execution in self._executions.ended_badly(now - LOOK_BACK_SECONDS):
            order_id = str(execution["name"])
            outcome[self._raise(order_id, execution, now)].append(order_id)
        logger.info("orders reconciled", extra={k: len(v) for k, v in outcome.items()})
        return outcome

    def _raise(self, order_id: str, execution: dict[str, Any], now: float) -> str:
        for _ in range(3):
            order = self._orders.get(order_id)
            if order is None:
                return "missing"  # placement never wrote it: nothing is held (the sweeper's case)
            if order.status in FINISHED:
                return "finished"
            if order.attention and order.attention.get("stopped_at") == execution["stopped_at"]:
                return "already"
            attention = {
                "reason": "workflow_ended",
                "execution_status": execution["status"],
                "stopped_at": execution["stopped_at"],
                "error": execution.get("error"),
                "raised_at": iso_at(now),
            }
            detail = {k: v for k, v in attention.items() if k != "raised_at"}
            entry = next_entry(order, order.status, "OrderNeedsAttention", detail, BY, iso_at(now))
            try:
                self._orders.write(OrderWrite(order, entry=entry, keep_token=True, attention=attention))
            except OrderStateConflict:
                continue
            logger.warning("order raised for staff", extra={"order_id": order_id, "execution": execution["status"]})
            return "raised"
        return "already"
