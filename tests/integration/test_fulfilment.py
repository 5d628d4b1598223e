"""Fulfilment over HTTP against the local cloud, with the real order-lifecycle ASL and the
warehouse and carrier simulators in manual mode (docs/fulfilment.md): dispatch, the hand-over
(the interception gate), capture and stock deduction, tracking, delivery and completion after the
return window; short picks, failed deliveries, returns to sender; duplicate, out-of-order, forged
and replayed partner webhooks."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_order_lifecycle import (
    SLOW,
    cancel,
    dispatched,
    hand_over,
    payment_becomes,
    payment_record,
    placed,
    status_becomes,
    types,
)
from tests.integration.test_orders_api import detail, execution, level, new_sku


@pytest.fixture
def customer(cloud: Any) -> str:
    from tests.integration.test_cart_api import new_customer

    return str(new_customer(cloud))


def post(cloud: Any, path: str, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.post(f"{cloud.api_url}{path}", data=body, headers=headers, timeout=30)


def shipped(api: Any, cloud: Any, customer: str, sku: str, quantity: int = 1) -> tuple[str, str]:
    """An order handed over and shipped: (order id, tracking number)."""
    order_id = placed(api, customer, sku, quantity)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert hand_over(cloud, order_id) == 200
    got = status_becomes(api, customer, order_id, "shipped")
    return order_id, str(got["shipment"]["tracking_number"])


def test_an_order_travels_to_delivered_and_completes_after_the_return_window(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_RETURN_WINDOW_SECONDS", "2")
    sku = new_sku(5)
    order_id = placed(api, customer, sku, 2)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    request = dispatched(cloud, order_id)
    assert [(x["sku"], x["quantity"]) for x in request.lines] == [(sku, 2)]
    assert request.ship_to["country"] and request.idempotency_key == f"{order_id}:dispatch:1"
    for stage in ("accepted", "picking", "packed"):
        assert cloud.warehouse.advance(order_id, stage) == 200
    got = detail(api, customer, order_id)
    assert got["order"]["status"] == "ready_for_fulfilment" and got["shipment"]["status"] == "packed"
    assert level(sku) == {"on_hand": 5, "reserved": 2, "available": 3}  # nothing left yet

    assert cloud.warehouse.advance(order_id, "handed_to_carrier") == 200
    got = status_becomes(api, customer, order_id, "shipped")
    tracking = got["shipment"]["tracking_number"]
    assert got["shipment"]["carrier"] == "parcelfast"
    assert got["shipment"]["tracking_url"] == f"https://track.parcelfast.example/{tracking}"
    assert got["payment"]["status"] == "captured" and got["payment"]["captured"] == got["order"]["total"]
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}  # deducted at hand-over
    dispatched_entry = next(e for e in got["timeline"] if e["type"] == "OrderDispatched")
    assert dispatched_entry["detail"]["tracking_number"] == tracking
    assert dispatched_entry["detail"]["captured"] == got["order"]["total"]

    for kind in ("in_transit", "out_for_delivery"):
        assert cloud.carrier.advance(tracking, kind) == 200
    assert cloud.carrier.advance(tracking, "delivered") == 200
    got = status_becomes(api, customer, order_id, "delivered")
    assert got["shipment"]["status"] == "delivered" and got["shipment"]["signed_by"] == "A. Resident"
    assert [e["type"] for e in got["shipment"]["tracking"]] == ["in_transit", "out_for_delivery", "delivered"]
    got = status_becomes(api, customer, order_id, "completed")  # the return window closed
    assert types(got) == [
        "OrderPlaced",
        "OrderPaymentAuthorised",
        "OrderReadyForFulfilment",
        "OrderDispatchRequested",
        "OrderHandedToCarrier",
        "OrderDispatched",
        "OrderDelivered",
        "OrderCompleted",
    ]
    until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", SLOW, "execution completed")
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}
    assert_problem(cancel(api, customer, order_id), 409, "ORDER_PAST_INTERCEPTION")


def test_duplicate_and_late_warehouse_webhooks_change_nothing(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    packed = cloud.warehouse.event(order_id, "packed")
    first = cloud.warehouse.send(packed)
    assert first.status == 200
    again = post(cloud, "/webhooks/warehouse", *cloud.warehouse.signed(packed))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    late = post(cloud, "/webhooks/warehouse", *cloud.warehouse.signed(cloud.warehouse.event(order_id, "picking")))
    assert late.status_code == 200 and "ignored" in late.json()  # a late picking after packed
    got = detail(api, customer, order_id)
    assert got["shipment"]["status"] == "packed" and got["order"]["status"] == "ready_for_fulfilment"
    other = post(cloud, "/webhooks/warehouse", *cloud.warehouse.signed(cloud.warehouse.event("ord_nope", "packed")))
    assert_problem(other, 404, "ORDER_NOT_FOUND")


def test_a_copy_of_the_hand_over_after_the_order_moved_on_is_a_duplicate(api, cloud, customer):
    order_id, _ = shipped(api, cloud, customer, new_sku(2))
    handed = next(e for e in cloud.warehouse.dispatches[order_id].events if e["type"] == "dispatch.handed_to_carrier")
    again = post(cloud, "/webhooks/warehouse", *cloud.warehouse.signed(handed))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert detail(api, customer, order_id)["order"]["status"] == "shipped"


def test_forged_and_replayed_partner_webhooks_are_refused_and_change_nothing(api, cloud, customer):
    sku = new_sku(3)
    order_id, tracking = shipped(api, cloud, customer, sku)
    before = detail(api, customer, order_id)
    delivered = cloud.carrier.event(tracking, "delivered")
    headers, body = cloud.carrier.signed(delivered)
    forged = dict(headers, **{"X-Signature": headers["X-Signature"][:-4] + "0000"})
    assert_problem(post(cloud, "/webhooks/carrier", forged, body), 401, "INVALID_SIGNATURE")
    stale_headers, stale_body = cloud.carrier.signed(delivered, timestamp=int(time.time()) - 3600)
    assert_problem(post(cloud, "/webhooks/carrier", stale_headers, stale_body), 401, "STALE_SIGNATURE")
    # the warehouse's key does not sign for the carrier, nor the carrier's for the warehouse
    cross_headers, cross_body = cloud.warehouse.signed(delivered)
    assert_problem(post(cloud, "/webhooks/carrier", cross_headers, cross_body), 401, "INVALID_SIGNATURE")
    unsigned = post(cloud, "/webhooks/warehouse", {"Content-Type": "application/json"}, b'{"type": "dispatch.packed"}')
    assert_problem(unsigned, 401, "INVALID_SIGNATURE")
    tampered = body.replace(b"A. Resident", b"Somebody Else")
    assert_problem(post(cloud, "/webhooks/carrier", headers, tampered), 401, "INVALID_SIGNATURE")
    garbage_headers, garbage = cloud.carrier.signed({"type": "shipment.delivered"})
    assert_problem(post(cloud, "/webhooks/carrier", garbage_headers, garbage), 422, "INVALID_WEBHOOK")
    after = detail(api, customer, order_id)
    assert after["order"] == before["order"] and after["shipment"] == before["shipment"]
    assert after["timeline"] == before["timeline"]


def test_carrier_events_out_of_order_never_move_the_status_back(api, cloud, customer, monkeypatch):
    monkeypatch.setenv("ORDER_RETURN_WINDOW_SECONDS", "600")
    sku = new_sku(3)
    order_id, tracking = shipped(api, cloud, customer, sku)
    earlier = cloud.carrier.event(tracking, "in_transit", occurred_at="2020-01-01T10:00:00Z")
    assert cloud.carrier.advance(tracking, "out_for_delivery") == 200
    assert cloud.carrier.send(earlier).status == 200  # arrives late
    got = detail(api, customer, order_id)
    assert got["shipment"]["status"] == "out_for_delivery"
    assert [e["type"] for e in got["shipment"]["tracking"]] == ["in_transit", "out_for_delivery"]  # by time
    assert cloud.carrier.advance(tracking, "delivery_failed") == 200
    got = detail(api, customer, order_id)
    assert got["order"]["status"] == "shipped" and types(got)[-1] == "OrderDeliveryFailed"
    assert got["timeline"][-1]["detail"]["reason"] == "no_one_home"
    assert cloud.carrier.advance(tracking, "delivered") == 200
    status_becomes(api, customer, order_id, "delivered")
    assert cloud.carrier.advance(tracking, "in_transit") == 200  # after the final event: recorded only
    got = detail(api, customer, order_id)
    assert got["order"]["status"] == "delivered" and got["shipment"]["status"] == "delivered"
    assert types(got).count("OrderDelivered") == 1


def test_a_short_pick_goes_to_staff_who_cancel_and_the_goods_go_back(api, cloud, customer, staff_token):
    sku = new_sku(4)
    order_id = placed(api, customer, sku, 2)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    assert cloud.warehouse.advance(order_id, "picking") == 200
    assert cloud.warehouse.exception(order_id, "short_pick", [{"sku": sku, "quantity_short": 1}]) == 200
    got = status_becomes(api, customer, order_id, "fulfilment_exception")
    entry = got["timeline"][-1]
    assert entry["type"] == "OrderFulfilmentException" and entry["by"] == "warehouse"
    assert entry["detail"]["reason"] == "short_pick" and entry["detail"]["lines"] == [{"sku": sku, "quantity_short": 1}]
    assert level(sku)["reserved"] == 2  # still held while staff decide
    response = cancel(api, staff_token("order-manager"), order_id, staff=True, reason="Out of stock after a short pick")
    assert response.status_code == 202, response.text
    got = status_becomes(api, customer, order_id, "cancelled")
    assert got["shipment"]["status"] == "cancelled" and cloud.warehouse.dispatches[order_id].status == "cancelled"
    payment_becomes(cloud, order_id, "voided")
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}


def test_after_a_short_pick_the_restocked_warehouse_hands_over_and_the_order_ships(api, cloud, customer):
    sku = new_sku(4)
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    assert cloud.warehouse.exception(order_id, "damaged", [{"sku": sku, "quantity_short": 1}]) == 200
    status_becomes(api, customer, order_id, "fulfilment_exception")
    assert cloud.warehouse.advance(order_id, "handed_to_carrier") == 200
    got = status_becomes(api, customer, order_id, "shipped")
    assert got["payment"]["status"] == "captured"
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}


def test_a_parcel_returned_to_sender_is_left_for_staff(api, cloud, customer):
    sku = new_sku(3)
    order_id, tracking = shipped(api, cloud, customer, sku)
    assert cloud.carrier.advance(tracking, "in_transit") == 200
    assert cloud.carrier.advance(tracking, "returned_to_sender") == 200
    got = status_becomes(api, customer, order_id, "returned_to_sender")
    assert types(got)[-1] == "OrderReturnedToSender" and got["timeline"][-1]["detail"]["reason"] == "undeliverable"
    until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", SLOW, "execution ended")
    assert got["payment"]["status"] == "captured"  # staff decide on a refund (back office)


def test_the_ship_step_retried_after_the_bank_captured_never_captures_twice(api, cloud, customer):
    """The capture is capture 1 of the order: running the Ship step again (a retried task) finds
    it and asks for nothing new."""
    from commerce.wiring.fulfilment import workflow_service

    sku = new_sku(3)
    order_id, _ = shipped(api, cloud, customer, sku)
    total = detail(api, customer, order_id)["order"]["total"]
    asked = cloud.bank.capture_requests(order_id)
    assert len(set(asked)) == 1  # capture 1, under one idempotency key
    workflow_service().ship(order_id, "a-retried-task-token")  # as a retry of the task would
    assert cloud.bank.capture_requests(order_id) == asked  # the bank was asked nothing more
    # and the platform records the one capture (the bank's webhook arrives after its 201)
    until(lambda: detail(api, customer, order_id)["payment"]["captured"] == total, SLOW, "the capture recorded")
    captures = [a for a in cloud.bank.deliveries if b'"payment.captured"' in a.body and order_id.encode() in a.body]
    assert len({a.event["event_id"] for a in captures}) == 1  # one capture (redeliveries keep its id)
    assert level(sku) == {"on_hand": 2, "reserved": 0, "available": 2}  # deducted once


def test_a_capture_the_bank_refuses_fails_the_workflow_and_reconciliation_raises_the_order_once(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    # the authorisation lapses at the bank before the parcel leaves (banks expire them after days)
    reference = payment_record(cloud, order_id)["attempts"][-1]["reference"]
    lapsed = requests.post(
        f"{cloud.bank.url}/v1/voids",
        json={"authorisation": reference, "order_id": order_id},
        headers={"Idempotency-Key": f"bank-side-expiry-{order_id}"},
        timeout=10,
    )
    assert lapsed.status_code == 201, lapsed.text
    assert hand_over(cloud, order_id) == 200
    until(lambda: execution(cloud, order_id)["status"] == "FAILED", SLOW, "the Ship step failed")
    assert execution(cloud, order_id)["error"] == "CaptureRefused"
    run = cloud.run_schedule("orders-reconcile")
    assert not run.failed, run.error
    assert order_id in run.result["raised"]
    got = detail(api, customer, order_id)
    assert got["order"]["status"] == "handed_to_carrier"  # staff decide; nothing is changed for them
    assert got["order"]["attention"]["execution_status"] == "FAILED"
    assert got["order"]["attention"]["error"] == "CaptureRefused"
    entry = got["timeline"][-1]
    assert entry["type"] == "OrderNeedsAttention" and entry["by"] == "system:reconciler"
    again = cloud.run_schedule("orders-reconcile")
    assert order_id in again.result["already"]
    assert types(detail(api, customer, order_id)).count("OrderNeedsAttention") == 1
    assert level(sku)["reserved"] == 1  # nothing deducted or lost: the order has an owner


def test_a_warehouse_outage_sends_dispatches_to_the_dlq_and_the_redrive_resumes_them(api, cloud, customer, staff_token):
    def dead_letters() -> int:
        queues = api.get("/admin/operations/queues", headers=auth(staff_token("admin"))).json()
        return int(next(q for q in queues if q["queue"] == "warehouse-dispatch")["dead_letters"])

    with cloud.faults.quick_retries("warehouse-dispatch"):  # retries in seconds
        cloud.warehouse.down = True
        try:
            sku = new_sku(3)
            order_id = placed(api, customer, sku)
            status_becomes(api, customer, order_id, "ready_for_fulfilment")
            until(lambda: dead_letters() == 1, SLOW, "the dispatch request in the DLQ after 5 tries")
        finally:
            cloud.warehouse.down = False  # the warehouse is back
    assert order_id not in cloud.warehouse.dispatches
    path = "/admin/operations/queues/warehouse-dispatch/redrive"
    assert_problem(api.post(path, headers=auth(staff_token("warehouse"))), 403, "FORBIDDEN")
    assert_problem(api.post(path, headers=auth(customer)), 401, "UNAUTHORIZED")  # not a staff token
    assert_problem(
        api.post("/admin/operations/queues/nope/redrive", headers=auth(staff_token("admin"))), 404, "QUEUE_NOT_FOUND"
    )
    moved = api.post(path, headers=auth(staff_token("admin")), json={"max_messages": 10})
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"] == 1 and moved.json()["dead_letters"] == 0
    dispatched(cloud, order_id)  # the workflow's own request, with its task token, got through
    assert hand_over(cloud, order_id) == 200
    status_becomes(api, customer, order_id, "shipped")
