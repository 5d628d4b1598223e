"""The order lifecycle over fakes: the risk rules, the transition guards (cancel_requested stops
every workflow task, the interception gate), the waits' task tokens, review, retry and cancel."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.checkout.models import InvoiceRequest
from commerce.orders import risk
from commerce.orders.errors import (
    OrderCancelled,
    OrderNotAwaitingRetry,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotInReview,
    OrderPastInterception,
    OrderStateConflict,
    PaymentWindowClosed,
)
from commerce.orders.models import CANCELLABLE, PAST_GATE, RELEASING, Order, OrderStatus, can_move
from commerce.orders.service import OrderService, new_order
from tests.unit.test_orders import KEY, NOW, FakeOrders, FakePayments, FakeWorkflow, claims

S = OrderStatus


class FakeCallback:
    def __init__(self, alive: bool = True) -> None:
        self.succeeded: list[tuple[str, dict[str, Any]]] = []
        self.failed: list[tuple[str, str]] = []
        self.alive = alive

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        self.succeeded.append((task_token, output))
        return self.alive

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        self.failed.append((task_token, error))
        return self.alive


class Published:
    """What the outbox will publish: every timeline entry, in the order it was written."""

    def __init__(self, orders: FakeOrders) -> None:
        self._orders = orders

    @property
    def published(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e.type, e.detail) for entries in self._orders.entries.values() for e in entries]


class World:
    def __init__(self, rules: risk.RiskRules | None = None) -> None:
        self.orders, self.payments = FakeOrders(), FakePayments()
        self.callback, self.events = FakeCallback(), Published(self.orders)
        self.now = float(NOW)
        self.svc = OrderService(
            self.orders,
            FakeWorkflow(),
            key=lambda: KEY,
            payments=self.payments,
            now=lambda: self.now,
            window=lambda: 60,
            callback=self.callback,
            risk_rules=lambda: rules or risk.RiskRules(),
        )

    def order(self, status: OrderStatus = S.AWAITING_PAYMENT, token: str | None = None, **claim_args: Any) -> Order:
        order, _ = new_order(f"ord_{len(self.orders.orders) + 1}", "sub-1", claims(**claim_args), 60, self.now)
        order = order.model_copy(update={"status": status, "task_token": token})
        self.orders.orders[order.order_id] = order
        return order

    def status(self, order_id: str) -> OrderStatus:
        return self.orders.orders[order_id].status


@pytest.fixture
def world() -> World:
    return World()


# ---- risk rules -------------------------------------------------------------------------------------
def _order(total_quantity: int = 1, invoice: InvoiceRequest | None = None) -> Order:
    order, _ = new_order("ord_r", "sub-1", claims(quantity=total_quantity), 60, NOW)
    return order.model_copy(update={"invoice": invoice})


def test_a_small_domestic_first_order_is_approved():
    assert risk.reasons(_order(), 1, risk.RiskRules()) == []


def test_each_rule_flags_on_its_own_threshold():
    rules = risk.RiskRules(amount_threshold=1_495, max_orders_per_hour=2)
    assert risk.reasons(_order(2), 1, rules) == ["amount_above_threshold"]  # 2 x 1000 + 495 shipping
    assert risk.reasons(_order(1), 1, rules) == []  # 1495: not above
    assert risk.reasons(_order(1), 3, rules) == ["too_many_orders_in_an_hour"]
    assert risk.reasons(_order(1), 2, rules) == []
    german = InvoiceRequest(company_name="GmbH", tax_id="DE123456789")
    dutch = InvoiceRequest(company_name="BV", tax_id="NL123456789B01")
    assert risk.reasons(_order(1, german), 1, rules) == ["billing_country_differs"]
    assert risk.reasons(_order(1, dutch), 1, rules) == []
    assert risk.reasons(_order(5, german), 9, rules) == [
        "amount_above_threshold",
        "billing_country_differs",
        "too_many_orders_in_an_hour",
    ]


def test_billing_country_comes_from_the_vat_prefix_or_is_unknown():
    assert risk.billing_country(_order()) is None
    assert risk.billing_country(_order(1, InvoiceRequest(company_name="AE", tax_id="EL123456789"))) == "GR"


def test_the_risk_check_counts_the_customers_orders_of_the_last_hour():
    world = World(risk.RiskRules(max_orders_per_hour=2))
    old = world.order()
    world.now += 3_700  # the first one is older than an hour
    world.order()
    latest = world.order(S.PAYMENT_AUTHORISED)
    assert world.svc.transition("risk_check", latest.order_id) == {
        "order_id": latest.order_id,
        "flagged": False,
        "reasons": [],
    }
    world.order()
    assert world.svc.transition("risk_check", latest.order_id)["reasons"] == ["too_many_orders_in_an_hour"]
    assert old.order_id


# ---- status rules -------------------------------------------------------------------------------------
def test_status_rules_of_the_lifecycle():
    assert can_move(S.AWAITING_PAYMENT, S.AWAITING_PAYMENT_RETRY) and can_move(S.AWAITING_PAYMENT_RETRY, S.EXPIRED)
    assert can_move(S.IN_REVIEW, S.APPROVED) and can_move(S.IN_REVIEW, S.REJECTED)
    assert all(can_move(s, S.CANCEL_REQUESTED) for s in CANCELLABLE)
    assert not any(can_move(s, S.CANCEL_REQUESTED) for s in PAST_GATE)
    assert all(not any(can_move(s, t) for t in S) for s in (S.EXPIRED, S.REJECTED, S.CANCELLED))
    assert {S.PAYMENT_DECLINED, S.EXPIRED, S.REJECTED, S.CANCELLED} == RELEASING


# ---- workflow transitions -------------------------------------------------------------------------------
def test_a_decline_waits_for_the_retry_with_what_is_left_of_the_window(world):
    order = world.order()
    world.now += 45
    got = world.svc.transition("declined", order.order_id, {"decline_code": "card_declined", "attempt": 1})
    assert got["retry_window_seconds"] == 15 and world.status(order.order_id) is S.AWAITING_PAYMENT_RETRY
    assert world.orders.moves[-1] == (order.order_id, S.AWAITING_PAYMENT_RETRY, False)  # stock stays held
    assert world.events.published[-1][0] == "OrderPaymentDeclined"
    world.now += 100
    assert world.svc.transition("declined", order.order_id)["retry_window_seconds"] == 1  # a retry: at least 1 s
    world.svc.transition("await_payment_retry", order.order_id, {"task_token": "tt-retry"})
    assert world.orders.orders[order.order_id].task_token == "tt-retry"


def test_every_workflow_task_on_a_cancel_requested_order_raises_order_cancelled(world):
    order = world.order(S.CANCEL_REQUESTED)
    for action in ("authorised", "declined", "risk_check", "ready", "expire", "reject", "review_timeout"):
        with pytest.raises(OrderCancelled):
            world.svc.transition(action, order.order_id, {"task_token": "tt"})
    assert world.orders.moves == []


def test_flagged_orders_wait_in_review_with_their_token_and_reasons(world):
    order = world.order(S.PAYMENT_AUTHORISED)
    world.svc.transition("await_review", order.order_id, {"task_token": "tt-1", "reasons": ["amount_above_threshold"]})
    stored = world.orders.orders[order.order_id]
    assert stored.status is S.IN_REVIEW and stored.task_token == "tt-1"
    assert world.events.published[-1][1]["reasons"] == ["amount_above_threshold"]
    world.svc.transition("await_review", order.order_id, {"task_token": "tt-2"})  # a retried task
    assert world.orders.orders[order.order_id].task_token == "tt-2" and len(world.orders.moves) == 1


def test_a_review_nobody_decides_is_rejected_but_a_late_decision_stands(world):
    waiting = world.order(S.IN_REVIEW, token="tt")
    assert world.svc.transition("review_timeout", waiting.order_id)["decision"] == "rejected"
    assert world.status(waiting.order_id) is S.REJECTED
    approved = world.order(S.APPROVED)
    assert world.svc.transition("review_timeout", approved.order_id)["decision"] == "approved"


def test_ready_expire_and_reject_are_idempotent_and_release_on_the_way_out(world):
    ready = world.order(S.APPROVED)
    for _ in range(2):
        assert world.svc.transition("ready", ready.order_id)["status"] == "ready_for_fulfilment"
    expiring = world.order(S.AWAITING_PAYMENT_RETRY)
    for _ in range(2):
        world.svc.transition("expire", expiring.order_id)
    assert [m for m in world.orders.moves if m[0] == expiring.order_id] == [(expiring.order_id, S.EXPIRED, True)]
    assert world.payments.voided == [expiring.order_id, expiring.order_id]  # the void itself is idempotent
    with pytest.raises(OrderStateConflict):
        world.svc.transition("expire", world.order(S.READY_FOR_FULFILMENT).order_id)


# ---- staff review ------------------------------------------------------------------------------------
def test_staff_approve_completes_the_review_wait(world):
    order = world.order(S.IN_REVIEW, token="tt")
    world.svc.review(order.order_id, "staff-1", approve=True)
    assert world.status(order.order_id) is S.APPROVED and world.orders.orders[order.order_id].task_token is None
    assert world.callback.succeeded == [("tt", {"decision": "approved", "by": "staff:staff-1"})]
    with pytest.raises(OrderNotInReview):
        world.svc.review(order.order_id, "staff-1", approve=False, reason="no")


def test_staff_reject_releases_and_completes_the_wait(world):
    order = world.order(S.IN_REVIEW, token="tt")
    world.svc.review(order.order_id, "staff-1", approve=False, reason="fraud")
    assert world.orders.moves[-1] == (order.order_id, S.REJECTED, True)
    assert world.callback.succeeded[-1][1]["decision"] == "rejected"
    assert world.events.published[-1][0] == "OrderRejected" and world.events.published[-1][1]["reason"] == "fraud"
    with pytest.raises(OrderNotInReview):
        world.svc.review(world.order(S.IN_REVIEW).order_id, "staff-1", approve=True)  # no token stored yet


# ---- the customer's retry -------------------------------------------------------------------------------
def test_a_retry_completes_the_wait_with_the_new_token_and_the_rest_of_the_window(world):
    order = world.order(S.AWAITING_PAYMENT_RETRY, token="tt")
    world.now += 20
    with pytest.raises(OrderNotFound):
        world.svc.retry_payment("sub-2", order.order_id, "tok_approve")
    world.svc.retry_payment("sub-1", order.order_id, "tok_approve")
    assert world.status(order.order_id) is S.AWAITING_PAYMENT
    assert world.callback.succeeded == [("tt", {"token": "tok_approve", "payment_window_seconds": 40})]
    with pytest.raises(OrderNotAwaitingRetry):
        world.svc.retry_payment("sub-1", order.order_id, "tok_approve")


def test_a_retry_after_the_window_is_refused(world):
    order = world.order(S.AWAITING_PAYMENT_RETRY, token="tt")
    world.now += 61
    with pytest.raises(PaymentWindowClosed):
        world.svc.retry_payment("sub-1", order.order_id, "tok_approve")
    assert world.status(order.order_id) is S.AWAITING_PAYMENT_RETRY


# ---- cancellation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.AWAITING_PAYMENT_RETRY, S.IN_REVIEW])
def test_cancel_fails_the_task_waiting_on_the_order(world, status):
    order = world.order(status, token="tt")
    got = world.svc.cancel(order.order_id, "customer:sub-1", "changed my mind", customer_id="sub-1")
    assert got.status is S.CANCEL_REQUESTED and got.task_token is None
    assert world.callback.failed == [("tt", "OrderCancelled")]
    entry = world.orders.entries[order.order_id][-1]
    assert entry.type == "OrderCancellationRequested" and entry.by == "customer:sub-1"
    assert entry.detail == {
        "customer_id": "sub-1",
        "status": "cancel_requested",
        "reason": "changed my mind",
        "previous_status": str(status),
    }
    world.svc.transition("cancel", order.order_id)  # the workflow's Cancel state
    assert world.orders.moves[-1] == (order.order_id, S.CANCELLED, True)
    assert world.payments.voided == [order.order_id]
    assert world.events.published[-1][0] == "OrderCancelled"
    assert world.events.published[-1][1]["requested_by"] == "customer:sub-1"


def test_cancel_while_awaiting_payment_fails_the_token_on_the_payment_record(world):
    order = world.order(S.AWAITING_PAYMENT)
    world.payments.tokens[order.order_id] = "tt-pay"
    world.svc.cancel(order.order_id, "staff:s1", "phoned")
    assert world.callback.failed == [("tt-pay", "OrderCancelled")]


def test_cancel_before_dispatch_is_left_to_the_dispatch_handler(world):
    """No token stored yet (the dispatch request is still queued): the request only moves the order
    to cancel_requested; the dispatch handler then fails the Dispatch task, and Cancel finishes."""
    order = world.order(S.READY_FOR_FULFILMENT)
    got = world.svc.cancel(order.order_id, "customer:sub-1", None, customer_id="sub-1")
    assert got.status is S.CANCEL_REQUESTED and world.payments.voided == []
    assert world.callback.failed == []
    again = world.svc.cancel(order.order_id, "customer:sub-1", None, customer_id="sub-1")
    assert again.status is S.CANCEL_REQUESTED and len(world.orders.moves) == 1  # asked twice: the same answer


def test_cancel_refusals(world):
    with pytest.raises(OrderNotFound):
        world.svc.cancel(world.order().order_id, "customer:sub-2", None, customer_id="sub-2")
    shipped = world.order(S.HANDED_TO_CARRIER)
    with pytest.raises(OrderPastInterception) as refused:
        world.svc.cancel(shipped.order_id, "staff:s1", "late")
    assert refused.value.extensions["return_url"] == f"/me/orders/{shipped.order_id}/returns"
    with pytest.raises(OrderNotCancellable):
        world.svc.cancel(world.order(S.EXPIRED).order_id, "staff:s1", "late")


def test_a_cancel_that_loses_the_race_decides_again_on_the_new_status(world):
    order = world.order(S.READY_FOR_FULFILMENT)
    real_move = world.orders.move

    def hand_over_first(*args: Any, **kwargs: Any) -> None:
        world.orders.move = real_move  # type: ignore[method-assign]
        current = world.orders.orders[order.order_id]
        world.orders.orders[order.order_id] = current.model_copy(update={"status": S.HANDED_TO_CARRIER})
        real_move(*args, **kwargs)

    world.orders.move = hand_over_first  # type: ignore[method-assign]
    with pytest.raises(OrderPastInterception):
        world.svc.cancel(order.order_id, "customer:sub-1", None, customer_id="sub-1")
    assert world.status(order.order_id) is S.HANDED_TO_CARRIER and world.payments.voided == []


def test_a_token_stored_while_the_cancel_moves_is_not_lost(world):
    order = world.order(S.AWAITING_PAYMENT_RETRY)  # the wait has not stored its token yet
    real_move = world.orders.move

    def token_stored_first(*args: Any, **kwargs: Any) -> None:
        world.orders.move = real_move  # type: ignore[method-assign]
        world.orders.store_task_token(world.orders.orders[order.order_id], "tt-late")
        real_move(*args, **kwargs)

    world.orders.move = token_stored_first  # type: ignore[method-assign]
    world.svc.cancel(order.order_id, "customer:sub-1", None, customer_id="sub-1")
    assert world.callback.failed == [("tt-late", "OrderCancelled")]  # re-read, then failed the wait
