"""The dashboard's counters: each order event counted once whatever the order and number of its
deliveries; the status gauge never moved back by a late event; the dashboard assembled."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from commerce.orders.models import OrderStatus
from commerce.reports.models import REPORTED_ORDER_EVENTS, LowStockSku, OrderState
from commerce.reports.ports import StateChanged
from commerce.reports.service import ReportedEvent, ReportsService, effect

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC).timestamp()


def event(kind: str, seq: int, status: str, at: str = "2026-11-22T09:15:00.000Z", **detail: Any) -> ReportedEvent:
    envelope = {
        "detail-type": kind,
        "detail": {"event_id": f"ord_1:{seq}", "order_id": "ord_1", "occurred_at": at, "status": status} | detail,
    }
    return ReportedEvent.from_eventbridge(envelope)


LIFE = [
    event("OrderPlaced", 1, "awaiting_payment", total=2500, currency="EUR"),
    event("OrderPaymentDeclined", 2, "awaiting_payment_retry"),
    event("OrderPaymentRetried", 3, "awaiting_payment"),
    event("OrderPaymentAuthorised", 4, "payment_authorised"),
    event("OrderReadyForFulfilment", 5, "ready_for_fulfilment", at="2026-11-22T11:00:00.000Z"),
]


class FakeCounters:
    def __init__(self) -> None:
        self.states: dict[str, OrderState] = {}
        self.gauge: dict[str, int] = {}
        self.figures: dict[str, dict[str, int]] = {}
        self.conflicts = 0

    def state(self, order_id: str) -> OrderState | None:
        return self.states.get(order_id)

    def apply(self, state: OrderState, statuses: dict[str, int], day: str | None, figures: dict[str, int]) -> None:
        if self.conflicts:
            self.conflicts -= 1
            raise StateChanged(state.order_id)
        stored = self.states.get(state.order_id)
        assert (stored.version if stored else 0) == state.version
        self.states[state.order_id] = state.model_copy(update={"version": state.version + 1})
        for name, delta in statuses.items():
            self.gauge[name] = self.gauge.get(name, 0) + delta
        if day:
            bucket = self.figures.setdefault(day, {})
            for name, delta in figures.items():
                bucket[name] = bucket.get(name, 0) + delta

    def statuses(self) -> dict[str, int]:
        return dict(self.gauge)

    def days(self, dates: list[str]) -> dict[str, dict[str, int]]:
        return {d: self.figures[d] for d in dates if d in self.figures}


def counted(events: list[ReportedEvent]) -> FakeCounters:
    counters = FakeCounters()
    service = ReportsService(counters)
    for e in events:
        service.record(e)
    return counters


def test_a_life_counts_once_per_event_whatever_the_order_and_duplicates():
    reference = counted(LIFE)
    assert {k: v for k, v in reference.gauge.items() if v} == {"ready_for_fulfilment": 1}
    assert reference.figures["2026-11-22"] == {
        "orders": 1,
        "h09_orders": 1,
        "revenue_EUR": 2500,
        "h09_revenue_EUR": 2500,
        "payment_declines": 1,
    }
    for shuffled in itertools.islice(itertools.permutations(LIFE), 0, 120, 7):
        again = counted([*shuffled, *shuffled[:2]])  # every order of delivery, some twice
        assert {k: v for k, v in again.gauge.items() if v} == {"ready_for_fulfilment": 1}
        assert again.figures == reference.figures


def test_a_late_older_event_counts_its_figures_but_moves_no_status():
    change = effect(OrderState(order_id="ord_1", status="shipped", seq=7, seen=[7]), LIFE[1])
    assert change is not None and change.statuses == {} and change.figures == {"payment_declines": 1}
    assert change.state.status == "shipped" and change.state.seen == [2, 7]
    assert effect(change.state, LIFE[1]) is None  # and once only


def test_a_concurrent_delivery_is_read_again():
    counters = FakeCounters()
    counters.conflicts = 2
    assert ReportsService(counters).record(LIFE[0]) is True
    assert counters.gauge == {"awaiting_payment": 1}
    counters.conflicts = 99
    with pytest.raises(StateChanged):
        ReportsService(counters).record(LIFE[1])


def test_the_dashboard_reads_counters_flagged_orders_and_low_stock():
    counters = counted(LIFE)
    counters.figures["2026-11-21"] = {"orders": 3, "revenue_EUR": 9000, "refunds_EUR": 500, "cancelled": 1}

    class Flagged:
        def flagged(self) -> dict[str, int]:
            return {"in_review": 2, "fulfilment_exception": 1, "attention": 1}

    class Stock:
        def low_stock(self) -> list[LowStockSku]:
            return [
                LowStockSku(sku="B", available=3, low_stock_threshold=5, on_hand=3, reserved=0),
                LowStockSku(sku="A", available=0, low_stock_threshold=5, on_hand=2, reserved=2),
            ]

    board = ReportsService(counters, Flagged(), Stock(), clock=lambda: NOW).dashboard()
    assert board.today.date == "2026-11-22" and board.today.orders == 1 and board.today.revenue == {"EUR": 2500}
    assert board.today.payment_declines == 1
    assert board.orders_by_status["ready_for_fulfilment"] == 1 and board.orders_by_status["shipped"] == 0
    assert set(board.orders_by_status) == {str(s) for s in OrderStatus}
    assert board.flagged_waiting.total == 4 and board.flagged_waiting.in_review == 2
    assert [s.sku for s in board.low_stock] == ["A", "B"] and board.low_stock_count == 2
    hours = board.charts.today_by_hour
    assert len(hours) == 24 and hours[9].orders == 1 and hours[9].revenue == {"EUR": 2500} and hours[10].orders == 0
    days = board.charts.last_14_days
    assert len(days) == 14 and days[-1].date == "2026-11-22" and days[0].date == "2026-11-09"
    assert days[-2].orders == 3 and days[-2].refunds == {"EUR": 500} and days[-2].cancelled == 1


def test_only_order_events_with_an_id_are_counted_and_the_rule_names_them():
    with pytest.raises(ValueError):
        ReportedEvent.from_eventbridge({"detail-type": "OrderPlaced", "detail": {"event_id": "nope"}})
    assert len(set(REPORTED_ORDER_EVENTS)) == len(REPORTED_ORDER_EVENTS)
    from infra.topology import TOPOLOGY

    assert TOPOLOGY.rule("order-events-to-reports").detail_types == REPORTED_ORDER_EVENTS
