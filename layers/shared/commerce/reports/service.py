"""Keeping the dashboard's counters from the order events, and reading the dashboard.

Events arrive at least once and in any order. Each order's counter state remembers its latest
status (and the timeline sequence number it came from) and which events were counted:

- the *status gauge* moves an order from its old status to the event's only when the event is
  newer than what is known (a late, older event changes no status);
- the *day counters* (orders placed and their value, declines, cancellations, refunds; per hour
  for the charts) count every event once, by the day and hour it happened (UTC);
- a duplicate (its sequence number already counted) changes nothing.

The state, the gauge and the day are written in one transaction conditional on the state's
version, so a crash or a concurrent delivery can neither lose nor double a count."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.common.clock import iso
from commerce.common.observability import logger
from commerce.orders.models import OrderStatus
from commerce.reports.models import (
    CHART_DAYS,
    Charts,
    Dashboard,
    DayFigures,
    FlaggedFigures,
    HourFigures,
    OrderState,
)
from commerce.reports.ports import Counters, FlaggedOrders, LowStock, StateChanged

ATTEMPTS = 5
LOW_STOCK_SHOWN = 50


@dataclass(frozen=True)
class ReportedEvent:
    detail_type: str
    order_id: str
    seq: int
    occurred_at: str
    detail: dict[str, Any]

    @classmethod
    def from_eventbridge(cls, envelope: dict[str, Any]) -> ReportedEvent:
        detail = dict(envelope.get("detail") or {})
        event_id = str(detail.get("event_id", ""))
        order_id, _, seq = event_id.rpartition(":")
        if not order_id or not seq.isdigit():
            raise ValueError(f"not an order event id: {event_id!r}")
        return cls(
            detail_type=str(envelope.get("detail-type", "")),
            order_id=str(detail.get("order_id") or order_id),
            seq=int(seq),
            occurred_at=str(detail.get("occurred_at") or ""),
            detail=detail,
        )


@dataclass
class Effect:
    state: OrderState
    statuses: dict[str, int] = field(default_factory=dict)
    day: str | None = None
    figures: dict[str, int] = field(default_factory=dict)


def effect(state: OrderState | None, event: ReportedEvent) -> Effect | None:
    """What one event adds; None for one already counted. Pure."""
    before = state or OrderState(order_id=event.order_id)
    if event.seq in before.seen:
        return None
    after = before.model_copy(update={"seen": sorted([*before.seen, event.seq])})
    change = Effect(after)
    status = event.detail.get("status")
    if status and event.seq > before.seq:
        after.status, after.seq = str(status), event.seq
        if before.status != status:
            change.statuses[str(status)] = 1
            if before.status:
                change.statuses[before.status] = -1
    change.day = event.occurred_at[:10] or None
    hour = event.occurred_at[11:13]
    currency = str(event.detail.get("currency") or "")
    figures = change.figures
    match event.detail_type:
        case "OrderPlaced":
            total = int(event.detail.get("total") or 0)
            figures |= {"orders": 1, f"h{hour}_orders": 1}
            if currency:
                figures |= {f"revenue_{currency}": total, f"h{hour}_revenue_{currency}": total}
        case "OrderPaymentDeclined":
            figures["payment_declines"] = 1
        case "OrderCancelled":
            figures["cancelled"] = 1
        case "OrderRefunded" if currency:
            figures[f"refunds_{currency}"] = int(event.detail.get("amount") or 0)
    if not change.day:
        change.figures = {}
    return change


class ReportsService:
    def __init__(
        self,
        counters: Counters,
        flagged: FlaggedOrders | None = None,
        stock: LowStock | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counters = counters
        self._flagged = flagged
        self._stock = stock
        self._clock = clock

    def record(self, event: ReportedEvent) -> bool:
        """Count one order event; False when it was counted before."""
        for _ in range(ATTEMPTS):
            change = effect(self._counters.state(event.order_id), event)
            if change is None:
                logger.info("order event already counted", extra={"event_id": f"{event.order_id}:{event.seq}"})
                return False
            try:
                self._counters.apply(change.state, change.statuses, change.day, change.figures)
            except StateChanged:
                continue  # another delivery of this order's events counted first: read again
            return True
        raise StateChanged(f"the counters of order {event.order_id} keep changing")

    def dashboard(self) -> Dashboard:
        now = datetime.fromtimestamp(self._clock(), UTC)
        dates = [(now - timedelta(days=n)).date().isoformat() for n in range(CHART_DAYS - 1, -1, -1)]
        days = self._counters.days(dates)
        last_days = [_day(date, days.get(date, {})) for date in dates]
        today = days.get(dates[-1], {})
        statuses = self._counters.statuses()
        flagged = self._flagged.flagged() if self._flagged is not None else {}
        low = sorted(self._stock.low_stock() if self._stock is not None else [], key=lambda s: (s.available, s.sku))
        return Dashboard(
            generated_at=iso(now),
            today=last_days[-1],
            orders_by_status={str(s): max(0, int(statuses.get(str(s), 0))) for s in OrderStatus},
            flagged_waiting=FlaggedFigures(
                total=sum(flagged.values()),
                in_review=flagged.get("in_review", 0),
                fulfilment_exception=flagged.get("fulfilment_exception", 0),
                attention=flagged.get("attention", 0),
            ),
            low_stock=low[:LOW_STOCK_SHOWN],
            low_stock_count=len(low),
            charts=Charts(today_by_hour=[_hour(f"{h:02d}", today) for h in range(24)], last_14_days=last_days),
        )


def _per_currency(figures: dict[str, int], prefix: str) -> dict[str, int]:
    return {name.removeprefix(prefix): value for name, value in figures.items() if name.startswith(prefix)}


def _day(date: str, figures: dict[str, int]) -> DayFigures:
    return DayFigures(
        date=date,
        orders=figures.get("orders", 0),
        revenue=_per_currency(figures, "revenue_"),
        payment_declines=figures.get("payment_declines", 0),
        cancelled=figures.get("cancelled", 0),
        refunds=_per_currency(figures, "refunds_"),
    )


def _hour(hour: str, figures: dict[str, int]) -> HourFigures:
    return HourFigures(
        hour=hour, orders=figures.get(f"h{hour}_orders", 0), revenue=_per_currency(figures, f"h{hour}_revenue_")
    )
