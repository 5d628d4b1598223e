"""The order lifecycle over HTTP against the local cloud, with the real order-lifecycle ASL
(docs/orders.md sections 3 and 4): the risk check and staff review, the declined customer's retry
within the window, cancellation at every waiting state and after the interception gate, and the
races (cancel against the hand-over, a payment webhook after the window closed)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_cart_api import new_customer
from tests.integration.test_orders_api import detail, execution, level, new_sku, place, quote
from tests.integration.test_orders_api import status_becomes as _status_becomes

LARGE = 150_000  # above the default review threshold (100000 minor units)
SLOW = 60  # generous deadlines: they bound a hang on a loaded 2-core box, they are not speed assertions


def status_becomes(api: Any, token: str, order_id: str, status: str, timeout: float = SLOW) -> dict[str, Any]:
    return _status_becomes(api, token, order_id, status, timeout=max(timeout, SLOW))


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


@pytest.fixture(autouse=True)
def _no_leaked_window() -> Iterator[None]:
    yield
    os.environ.pop("ORDER_PAYMENT_WINDOW_SECONDS", None)


def payment_record(cloud: Any, order_id: str) -> dict[str, Any]:
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("payments"),
        Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}},
        ConsistentRead=True,
    )
    return json.loads(item["Item"]["doc"]["S"]) if "Item" in item else {}


def payment_becomes(cloud: Any, order_id: str, status: str) -> dict[str, Any]:
    return dict(
        until(
            lambda: (p := payment_record(cloud, order_id)).get("status") == status and p,
            SLOW,
            f"payment {order_id} {status}",
        )
    )


def placed(api: Any, customer: str, sku: str, quantity: int = 1, payment: str = "tok_approve") -> str:
    response = place(api, customer, quote(api, customer, sku, quantity)["quote_token"], payment=payment)
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


def types(got: dict[str, Any]) -> list[str]:
    return [e["type"] for e in got["timeline"]]


def succeeded(cloud: Any, order_id: str) -> None:
    until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", SLOW, f"execution {order_id} succeeded")


def cancel(api: Any, token: str, order_id: str, staff: bool = False, reason: str | None = "Changed my mind") -> Any:
    path = f"/admin/orders/{order_id}/cancel" if staff else f"/me/orders/{order_id}/cancel"
    return api.post(path, headers=auth(token), json={"reason": reason} if reason else None)


def dispatched(cloud: Any, order_id: str) -> Any:
    """The workflow's Dispatch step reached the warehouse (simulator, manual mode): it now waits
    for the hand-over. The simulator's record of the dispatch."""
    return cloud.warehouse.wait_for_dispatch(order_id, SLOW)


def hand_over(cloud: Any, order_id: str) -> int:
    """The warehouse reports the hand-over to the carrier (the interception gate): the status the
    platform answered (200 handed over, 409 the order was cancelled first)."""
    dispatched(cloud, order_id)
    return int(cloud.warehouse.advance(order_id, "handed_to_carrier"))


def ready_types(got: dict[str, Any]) -> list[str]:
    """The timeline up to ready-for-fulfilment (the dispatch request may follow at once)."""
    return [t for t in types(got) if t != "OrderDispatchRequested"]


# ---- risk check and review ------------------------------------------------------------------------
def test_a_small_order_is_approved_automatically_and_ready_for_fulfilment(api, cloud, customer):
    sku = new_sku(5)
    order_id = placed(api, customer, sku, 2)
    got = status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert ready_types(got) == ["OrderPlaced", "OrderPaymentAuthorised", "OrderReadyForFulfilment"]
    assert all(e["event_id"] == f"{order_id}:{e['seq']}" and e["at"] and e["by"] for e in got["timeline"])
    assert "task_token" not in got["order"]
    assert level(sku) == {"on_hand": 5, "reserved": 2, "available": 3}  # held for fulfilment
    dispatched(cloud, order_id)


def test_a_large_order_waits_for_review_then_staff_approve_it(api, cloud, customer, staff_token):
    sku = new_sku(3, price=LARGE)
    order_id = placed(api, customer, sku)
    got = status_becomes(api, customer, order_id, "in_review")
    flagged = got["timeline"][-1]
    assert flagged["type"] == "OrderFlaggedForReview" and flagged["detail"]["reasons"] == ["amount_above_threshold"]
    path = f"/admin/orders/{order_id}/approve"
    assert_problem(api.post(path, headers=auth(staff_token("warehouse"))), 403, "FORBIDDEN")
    response = api.post(path, headers=auth(staff_token("order-manager")))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "approved"
    got = status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert ready_types(got)[-2:] == ["OrderApproved", "OrderReadyForFulfilment"]
    assert next(e for e in got["timeline"] if e["type"] == "OrderApproved")["by"].startswith("staff:")
    body = assert_problem(api.post(path, headers=auth(staff_token("admin"))), 409, "ORDER_NOT_IN_REVIEW")
    assert body["order_status"] == "ready_for_fulfilment"
    assert level(sku)["reserved"] == 1 and got["payment"]["status"] == "authorised"
    dispatched(cloud, order_id)


def test_staff_reject_a_flagged_order_stock_released_payment_voided(api, cloud, customer, staff_token):
    sku = new_sku(3, price=LARGE)
    order_id = placed(api, customer, sku, 2)
    status_becomes(api, customer, order_id, "in_review")
    path = f"/admin/orders/{order_id}/reject"
    assert_problem(api.post(path, headers=auth(staff_token("admin")), json={}), 422, "INVALID_BODY")
    response = api.post(path, headers=auth(staff_token("admin")), json={"reason": "Card holder name mismatch"})
    assert response.status_code == 202, response.text
    got = status_becomes(api, customer, order_id, "rejected")
    assert got["timeline"][-1]["type"] == "OrderRejected"
    assert got["timeline"][-1]["detail"]["reason"] == "Card holder name mismatch"
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}
    payment_becomes(cloud, order_id, "voided")
    succeeded(cloud, order_id)
    assert_problem(
        api.post(path, headers=auth(staff_token("admin")), json={"reason": "again"}), 409, "ORDER_NOT_IN_REVIEW"
    )
    assert_problem(
        api.post("/admin/orders/ord_nope/approve", headers=auth(staff_token("admin"))), 404, "ORDER_NOT_FOUND"
    )


# ---- the declined customer's retry ----------------------------------------------------------------
def test_a_declined_customer_retries_within_the_window_and_is_authorised(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "180")  # a loaded CI box needs room
    sku = new_sku(4)
    order_id = placed(api, customer, sku, 2, payment="tok_decline")
    got = status_becomes(api, customer, order_id, "awaiting_payment_retry")
    assert got["timeline"][-1]["type"] == "OrderPaymentDeclined"
    assert got["timeline"][-1]["detail"]["decline_code"] == "card_declined"
    assert level(sku)["reserved"] == 2  # still held while the customer may retry
    path = f"/me/orders/{order_id}/payment"
    other = new_customer(cloud)
    assert_problem(api.post(path, headers=auth(other), json={"payment_token": "tok_approve"}), 404, "ORDER_NOT_FOUND")
    bad = api.post(path, headers=auth(customer), json={"payment_token": "4111111111111111"})
    assert_problem(bad, 422, "INVALID_BODY")

    def retry() -> Any:
        response = api.post(path, headers=auth(customer), json={"payment_token": "tok_approve"})
        return response if response.status_code == 202 else None  # 409 until the wait's token is stored

    assert until(retry, SLOW, "retry accepted").json()["status"] == "awaiting_payment"
    got = status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert ready_types(got) == [
        "OrderPlaced",
        "OrderPaymentDeclined",
        "OrderPaymentRetried",
        "OrderPaymentAuthorised",
        "OrderReadyForFulfilment",
    ]
    assert got["payment"]["status"] == "authorised" and got["payment"]["attempt"] == 2
    assert level(sku) == {"on_hand": 4, "reserved": 2, "available": 2}
    body = assert_problem(
        api.post(path, headers=auth(customer), json={"payment_token": "tok_approve"}), 409, "ORDER_NOT_AWAITING_RETRY"
    )
    assert body["order_status"] == "ready_for_fulfilment"
    dispatched(cloud, order_id)


def test_a_declined_customer_who_does_not_retry_expires_when_the_window_closes(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "4")
    sku = new_sku(4)
    order_id = placed(api, customer, sku, 4, payment="tok_decline")
    assert level(sku)["available"] == 0
    got = status_becomes(api, customer, order_id, "expired", timeout=30)
    assert types(got) == ["OrderPlaced", "OrderPaymentDeclined", "OrderExpired"]
    assert got["payment"]["status"] == "failed"
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}
    late = api.post(f"/me/orders/{order_id}/payment", headers=auth(customer), json={"payment_token": "tok_approve"})
    assert_problem(late, 409, "ORDER_NOT_AWAITING_RETRY")
    succeeded(cloud, order_id)


# ---- cancellation ---------------------------------------------------------------------------------
def _cancelled(api: Any, cloud: Any, customer: str, order_id: str, sku: str, units: int) -> dict[str, Any]:
    got = status_becomes(api, customer, order_id, "cancelled")
    assert types(got)[-2:] == ["OrderCancellationRequested", "OrderCancelled"]
    assert level(sku) == {"on_hand": units, "reserved": 0, "available": units}
    succeeded(cloud, order_id)
    return got


def test_cancel_while_awaiting_payment_voids_the_authorisation_in_flight(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku, 2, payment="tok_challenge")  # the challenge is never completed
    until(
        lambda: (detail(api, customer, order_id)["payment"] or {}).get("status") == "pending",
        timeout=SLOW,
        message="pending",
    )
    response = cancel(api, customer, order_id)
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("cancel_requested", "cancelled")
    got = _cancelled(api, cloud, customer, order_id, sku, 3)
    assert got["timeline"][-2]["detail"] == {
        "customer_id": got["order"]["customer_id"],
        "status": "cancel_requested",
        "reason": "Changed my mind",
        "previous_status": "awaiting_payment",
    }
    assert got["timeline"][-1]["detail"]["requested_by"] == f"customer:{got['order']['customer_id']}"
    payment_becomes(cloud, order_id, "voided")
    again = cancel(api, customer, order_id)  # asked twice: the same answer
    assert again.status_code == 202 and again.json()["status"] == "cancelled"


def test_cancel_while_awaiting_the_retry(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "60")
    sku = new_sku(3)
    order_id = placed(api, customer, sku, 1, payment="tok_decline")
    status_becomes(api, customer, order_id, "awaiting_payment_retry")
    assert cancel(api, customer, order_id, reason=None).status_code == 202
    got = _cancelled(api, cloud, customer, order_id, sku, 3)
    assert got["payment"]["status"] == "failed"  # nothing was authorised: nothing to void


def test_staff_cancel_while_in_review_needs_manage_orders(api, cloud, customer, staff_token):
    sku = new_sku(3, price=LARGE)
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "in_review")
    assert_problem(cancel(api, staff_token("warehouse"), order_id, staff=True), 403, "FORBIDDEN")
    assert_problem(cancel(api, staff_token("admin"), order_id, staff=True, reason=None), 422, "INVALID_BODY")
    response = cancel(api, staff_token("customer-service"), order_id, staff=True, reason="Customer phoned")
    assert response.status_code == 202, response.text
    got = _cancelled(api, cloud, customer, order_id, sku, 3)
    assert got["timeline"][-2]["by"].startswith("staff:")
    payment_becomes(cloud, order_id, "voided")


def test_cancel_before_the_gate_stops_the_dispatch_and_the_goods_are_put_back(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku, 2)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    assert cloud.warehouse.advance(order_id, "accepted") == 200
    assert cloud.warehouse.advance(order_id, "picking") == 200
    other = new_customer(cloud)
    assert_problem(cancel(api, other, order_id), 404, "ORDER_NOT_FOUND")  # not theirs
    response = cancel(api, customer, order_id)
    assert response.status_code == 202, response.text
    got = _cancelled(api, cloud, customer, order_id, sku, 3)
    assert got["shipment"]["status"] == "cancelled"
    assert cloud.warehouse.dispatches[order_id].status == "cancelled"  # told: the goods went back
    payment_becomes(cloud, order_id, "voided")
    assert hand_over(cloud, order_id) == 409  # too late for the warehouse: it must not hand over


def test_after_the_interception_gate_a_cancel_is_refused_with_a_return_hint(api, cloud, customer, staff_token):
    sku = new_sku(3)
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert hand_over(cloud, order_id) == 200
    body = assert_problem(cancel(api, customer, order_id), 409, "ORDER_PAST_INTERCEPTION")
    assert body["return_url"] == f"/me/orders/{order_id}/returns"
    assert body["order_status"] in ("handed_to_carrier", "shipped")
    assert_problem(cancel(api, staff_token("admin"), order_id, staff=True), 409, "ORDER_PAST_INTERCEPTION")
    got = status_becomes(api, customer, order_id, "shipped")
    assert got["payment"]["status"] == "captured"
    assert level(sku) == {"on_hand": 2, "reserved": 0, "available": 2}  # the unit left with the carrier


def race(api: Any, cloud: Any, customer: str, order_id: str, delay: float) -> dict[str, Any]:
    """The customer's cancel and the warehouse's hand-over, started together (the hand-over
    ``delay`` seconds later)."""
    dispatched(cloud, order_id)
    start = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def do_cancel() -> None:
        start.wait()
        outcome["cancel"] = cancel(api, customer, order_id)

    def do_hand_over() -> None:
        start.wait()
        threading.Event().wait(delay)
        outcome["hand_over"] = hand_over(cloud, order_id)

    threads = [threading.Thread(target=do_cancel), threading.Thread(target=do_hand_over)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


def test_cancel_racing_the_hand_over_one_wins_and_nothing_is_half_done(api, cloud, customer):
    sku = new_sku(10)
    orders = [placed(api, customer, sku) for _ in range(3)]
    for order_id in orders:
        status_becomes(api, customer, order_id, "ready_for_fulfilment")
    for delay, order_id in zip((0.0, 0.02, 0.3), orders, strict=True):
        outcome = race(api, cloud, customer, order_id, delay)
        if outcome["hand_over"] == 200:
            assert_problem(outcome["cancel"], 409, "ORDER_PAST_INTERCEPTION")
            got = status_becomes(api, customer, order_id, "shipped")
            assert got["payment"]["status"] == "captured"
        else:
            assert outcome["hand_over"] == 409  # ORDER_CANCELLED: the warehouse puts the goods back
            assert outcome["cancel"].status_code == 202, outcome["cancel"].text
            status_becomes(api, customer, order_id, "cancelled")
            payment_becomes(cloud, order_id, "voided")
    shipped = sum(1 for o in orders if detail(api, customer, o)["order"]["status"] == "shipped")
    assert level(sku) == {"on_hand": 10 - shipped, "reserved": 0, "available": 10 - shipped}  # each unit once


# ---- races with the payment gateway -----------------------------------------------------------------
def test_an_authorisation_webhook_after_the_window_does_not_resurrect_the_order(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "2")
    sku = new_sku(5)
    order_id = placed(api, customer, sku, 3, payment="tok_challenge")
    got = status_becomes(api, customer, order_id, "expired", timeout=30)
    challenge_url = got["payment"]["challenge_url"]
    payment_becomes(cloud, order_id, "voided")  # Expire voided the authorisation still in flight
    assert level(sku) == {"on_hand": 5, "reserved": 0, "available": 5}
    assert requests.post(f"{challenge_url}/complete", json={"result": "pass"}, timeout=5).status_code == 200
    record = until(
        lambda: (
            (p := payment_record(cloud, order_id))
            and any("ignored" in h["result"] for h in p["history"] if "payment.authorised" in h["what"])
            and p
        ),
        SLOW,
        "late webhook recorded",
    )
    assert record["status"] == "voided"
    got = detail(api, customer, order_id)
    assert got["order"]["status"] == "expired" and types(got) == ["OrderPlaced", "OrderExpired"]
    assert level(sku) == {"on_hand": 5, "reserved": 0, "available": 5}  # released once
    succeeded(cloud, order_id)
