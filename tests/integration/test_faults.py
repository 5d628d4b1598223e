"""Faults injected into the local cloud (local/faults.py), through the real topology, ASL and
simulators: DynamoDB throttling on writes (placement, a workflow task, a queue consumer), handlers
that die halfway, a gateway answering 5xx or timing out on capture and void, a poison message in a
batch (DLQ, redrive), and a partner that redelivers one webhook for an hour.

Each test ends with ``owned``: every order it created is finished, waiting in a live execution, or
raised for staff by reconciliation. Gateway faults on authorisation (5xx, timeouts on every
attempt) and a storm of payment webhooks are in test_order_risk_and_faults.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_order_lifecycle import (
    SLOW,
    cancel,
    dispatched,
    payment_becomes,
    payment_record,
    placed,
    status_becomes,
    types,
)
from tests.integration.test_order_risk_and_faults import bank_webhooks, gateway_failures
from tests.integration.test_order_sweeper import order_item
from tests.integration.test_orders_api import detail, execution, level, new_sku, place, quote, waits_for_a_token

FINISHED = frozenset({"completed", "cancelled", "expired", "rejected", "returned_to_sender"})
DISPATCH = "fulfilment-dispatch"


@pytest.fixture
def customer(cloud: Any) -> str:
    from tests.integration.test_cart_api import new_customer

    return str(new_customer(cloud))


@pytest.fixture
def quick_dispatch_retries(cloud: Any) -> Iterator[None]:
    """A failed dispatch message comes back after 1 s instead of 60 (the queue's visibility timeout)."""
    with cloud.faults.quick_retries("warehouse-dispatch"):
        yield


def owned(cloud: Any, order_ids: list[str]) -> dict[str, str]:
    """No order is left without an owner: after a reconciliation run, each order is ``finished``
    (its execution succeeded and the status is final), waiting in a live execution (``workflow``),
    or raised for staff (``staff``: ``attention`` set by orders-reconcile). Answers who owns each."""
    run = cloud.run_schedule("orders-reconcile")
    assert not run.failed, run.error
    owners: dict[str, str] = {}
    for order_id in order_ids:
        item, state = order_item(order_id), execution(cloud, order_id)["status"]
        if state == "RUNNING":
            owners[order_id] = "workflow"
        elif state == "SUCCEEDED" and item["status"] in FINISHED:
            owners[order_id] = "finished"
        elif item.get("attention"):
            owners[order_id] = "staff"
        else:
            raise AssertionError(f"order {order_id} has no owner: {item['status']}, execution {state}")
    return owners


def waiting_for_challenge(api: Any, customer: str, sku: str) -> tuple[str, str]:
    """An order whose payment waits for the customer's 3-D Secure challenge: (order id, challenge
    URL). Nothing happens to it until the challenge is passed, so a fault can be armed for it."""
    order_id = placed(api, customer, sku, payment="tok_challenge")
    got = until(lambda: (d := detail(api, customer, order_id))["payment"] and d["payment"].get("challenge_url"), SLOW)
    return order_id, str(got)


def pass_challenge(challenge_url: str) -> None:
    assert requests.post(f"{challenge_url}/complete", json={"result": "pass"}, timeout=10).status_code == 200


def queued(cloud: Any, order_id: str) -> None:
    """The order's Dispatch step put its request on the queue (its consumer may be paused)."""
    status_becomes_quietly = lambda: order_item(order_id)["status"] == "ready_for_fulfilment"  # noqa: E731
    until(status_becomes_quietly, SLOW, f"{order_id} ready for fulfilment")
    until(lambda: waits_for_a_token(cloud, order_id, "sqs"), SLOW, "the dispatch request sent")


def failed(invocation: Any) -> bool:
    """A queue consumer's invocation failed its message: an error (every record failed: the whole
    batch returns), or a partial batch failure naming it."""
    return bool(invocation.failed or invocation.result["batchItemFailures"])


def records_of(calls: list[tuple[Any, Any]], order_id: str) -> list[tuple[list[str], Any]]:
    """The consumer's invocations that carried the order's message: (the batch's order ids, outcome)."""
    found = []
    for event, invocation in calls:
        ids = [json.loads(r["body"])["order_id"] for r in event.get("Records", [])]
        if order_id in ids:
            found.append((ids, invocation))
    return found


# ---- DynamoDB throttling on writes --------------------------------------------------------------------
def test_a_throttled_placement_answers_503_and_the_retry_with_the_same_key_places_it_once(api, cloud, customer):
    sku = new_sku(5)
    q = quote(api, customer, sku, 2)
    key = f"throttled-{q['quote_id']}"
    # Given DynamoDB throttles the placement's transaction (cancelled with ThrottlingError: the SDK
    # does not retry a cancelled transaction)
    with cloud.faults.throttle_dynamodb("orders", {"TransactWriteItems"}, when=q["quote_id"]) as throttled:
        first = place(api, customer, q["quote_token"], key=key)
    # Then the customer is told to try again shortly, and nothing was reserved or placed
    body = assert_problem(first, 503, "TEMPORARILY_UNAVAILABLE")
    assert first.headers["Retry-After"] == "1" and throttled.fired == 1, body
    assert level(sku) == {"on_hand": 5, "reserved": 0, "available": 5}
    history = api.get("/me/orders", headers=auth(customer)).json()["orders"]
    assert history == []
    # When the client retries with the same key, the order is placed once
    second = place(api, customer, q["quote_token"], key=key)
    assert second.status_code == 201, second.text
    third = place(api, customer, q["quote_token"], key=key)
    assert third.status_code == 200 and third.json()["order_id"] == second.json()["order_id"]
    order_id = second.json()["order_id"]
    assert level(sku)["reserved"] == 2
    assert [o["order_id"] for o in api.get("/me/orders", headers=auth(customer)).json()["orders"]] == [order_id]
    dispatched(cloud, order_id)
    assert owned(cloud, [order_id]) == {order_id: "workflow"}  # waiting for the warehouse


def test_a_throttled_transaction_outside_orders_is_503_not_a_conflict_and_changes_nothing(api, cloud, customer):
    from tests.integration.test_customers_api import address

    city = f"Throttleville-{time.monotonic_ns()}"
    # Given DynamoDB cancels the address book's transaction for throughput (no condition failed)
    with cloud.faults.throttle_dynamodb("customers", {"TransactWriteItems"}, when=city) as throttled:
        first = api.post("/me/addresses", headers=auth(customer), json=address(city))
    # Then the customer is asked to retry (not told the address book changed under them)
    assert_problem(first, 503, "TEMPORARILY_UNAVAILABLE")
    assert first.headers["Retry-After"] == "1" and throttled.fired == 1
    assert api.get("/me/addresses", headers=auth(customer)).json() == {"items": []}
    # And the retry adds it once
    second = api.post("/me/addresses", headers=auth(customer), json=address(city))
    assert second.status_code == 201, second.text
    assert [a["city"] for a in api.get("/me/addresses", headers=auth(customer)).json()["items"]] == [city]


def test_throttled_writes_in_workflow_tasks_are_retried_and_applied_once(api, cloud, customer):
    sku = new_sku(5)
    order_id, challenge = waiting_for_challenge(api, customer, sku)
    # Given the payment's single-item writes throttled twice (the SDK retries them inside the task)
    # and the Accept task's transactions on this order throttled twice (cancelled: the task fails)
    with (
        cloud.faults.throttle_dynamodb("payments", {"PutItem"}, times=2, when=order_id) as payment_writes,
        cloud.faults.throttle_dynamodb("orders", {"TransactWriteItems"}, times=2, when=order_id) as order_writes,
    ):
        pass_challenge(challenge)
        got = status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert payment_writes.fired == 2 and order_writes.fired == 2
    # Then the workflow's Retry got it through, each move applied once
    assert gateway_failures(cloud, order_id).count("TemporarilyUnavailable") == 2
    assert types(got)[:3] == ["OrderPlaced", "OrderPaymentAuthorised", "OrderReadyForFulfilment"]
    assert got["payment"]["status"] == "authorised" and len(payment_record(cloud, order_id)["attempts"]) == 1
    assert level(sku) == {"on_hand": 5, "reserved": 1, "available": 4}
    dispatched(cloud, order_id)
    assert owned(cloud, [order_id]) == {order_id: "workflow"}


def test_a_throttled_dispatch_consumer_is_redelivered_without_a_duplicate(api, cloud, customer, quick_dispatch_retries):
    sku = new_sku(5)
    with ExitStack() as faults:
        calls = faults.enter_context(cloud.faults.record(DISPATCH))
        with cloud.faults.pause(DISPATCH):  # the request waits in the queue while the fault is armed
            order_id = placed(api, customer, sku)
            queued(cloud, order_id)
            rule = faults.enter_context(
                cloud.faults.throttle_dynamodb("orders", {"TransactWriteItems"}, times=2, when=order_id)
            )
        request = dispatched(cloud, order_id)
        runs = until(lambda: len(found := records_of(calls, order_id)) == 3 and found, SLOW, "three deliveries")
    # Then the message failed twice (redelivered each time) and the third delivery dispatched it once
    assert rule.fired == 2
    assert [failed(invocation) for _, invocation in runs] == [True, True, False]
    assert request.idempotency_key == f"{order_id}:dispatch:1"
    assert list(cloud.warehouse.dispatches).count(order_id) == 1
    assert types(detail(api, customer, order_id)).count("OrderDispatchRequested") == 1
    assert owned(cloud, [order_id]) == {order_id: "workflow"}


# ---- a handler dies halfway -----------------------------------------------------------------------------
def test_a_dispatch_consumer_dying_after_the_shipment_before_the_warehouse_dispatches_once(
    api, cloud, customer, quick_dispatch_retries
):
    sku = new_sku(5)
    with ExitStack() as faults:
        calls = faults.enter_context(cloud.faults.record(DISPATCH))
        with cloud.faults.pause(DISPATCH):
            order_id = placed(api, customer, sku)
            queued(cloud, order_id)
            rule = faults.enter_context(cloud.faults.crash(DISPATCH, after=1, when=order_id))  # after the shipment
        dispatched(cloud, order_id)
        runs = until(lambda: len(found := records_of(calls, order_id)) == 2 and found, SLOW, "the redelivery")
    assert rule.fired == 1 and runs[0][1].error["errorType"] == "Runtime.ExitError"
    assert not failed(runs[1][1])
    # the redelivered message found the shipment, asked the warehouse once, wrote nothing twice
    got = detail(api, customer, order_id)
    assert types(got).count("OrderDispatchRequested") == 1
    assert got["shipment"]["status"] == "requested" and got["shipment"]["dispatch_id"]
    assert got["shipment"]["dispatch_id"] == cloud.warehouse.dispatches[order_id].dispatch_id
    assert owned(cloud, [order_id]) == {order_id: "workflow"}


def test_workflow_tasks_dying_after_their_transaction_are_retried_into_one_effect(api, cloud, customer):
    sku = new_sku(5)
    order_id, challenge = waiting_for_challenge(api, customer, sku)
    # Accept dies right after its first move (authorised) is stored
    with cloud.faults.crash("orders-transition", after=1, when=order_id) as accept:
        pass_challenge(challenge)
        status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert accept.fired == 1
    # Ship dies right after its transaction (stock deducted, shipped), the capture already taken
    with cloud.faults.crash("orders-transition", after=1, when=order_id, operations={"TransactWriteItems"}) as ship:
        dispatched(cloud, order_id)
        assert cloud.warehouse.advance(order_id, "handed_to_carrier") == 200
        got = status_becomes(api, customer, order_id, "shipped")
        until(lambda: gateway_failures(cloud, order_id).count("Runtime.ExitError") == 2, SLOW, "both retried")
    assert ship.fired == 1
    # Then every move happened once: one authorisation, one capture, one of each event
    got = detail(api, customer, order_id)
    for kind in ("OrderPaymentAuthorised", "OrderReadyForFulfilment", "OrderHandedToCarrier", "OrderDispatched"):
        assert types(got).count(kind) == 1, (kind, types(got))
    assert got["payment"]["status"] == "captured" and got["payment"]["captured"] == got["order"]["total"]
    captures = {d.event["event_id"] for d in bank_webhooks(cloud, order_id, "payment.captured")}
    assert len(captures) == 1
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}  # deducted once
    assert owned(cloud, [order_id]) == {order_id: "workflow"}  # waiting for the delivery


# ---- the payment gateway on capture and void ----------------------------------------------------------------
def test_a_capture_answered_5xx_at_hand_over_is_retried_into_one_capture(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku)
    dispatched(cloud, order_id)
    with cloud.faults.http(f"{cloud.bank.url}/v1/captures", status=502, times=2, when=order_id) as failing:
        assert cloud.warehouse.advance(order_id, "handed_to_carrier") == 200
        got = status_becomes(api, customer, order_id, "shipped")
    assert failing.fired == 2
    assert gateway_failures(cloud, order_id).count("GatewayUnavailable") == 2  # the Ship task's Retry
    assert got["payment"]["status"] == "captured" and got["payment"]["captured"] == got["order"]["total"]
    until(lambda: bank_webhooks(cloud, order_id, "payment.captured"), SLOW, "the capture reported")
    assert len({d.event["event_id"] for d in bank_webhooks(cloud, order_id, "payment.captured")}) == 1
    assert level(sku) == {"on_hand": 2, "reserved": 0, "available": 2}
    assert owned(cloud, [order_id]) == {order_id: "workflow"}


def test_a_void_that_times_out_during_cancel_is_retried_and_voids_once(api, cloud, customer):
    sku = new_sku(3)
    order_id = placed(api, customer, sku, 2)
    dispatched(cloud, order_id)
    # the bank voids, but the answer is lost (a read timeout)
    with cloud.faults.http(f"{cloud.bank.url}/v1/voids", timeout=True, reach=True, when=order_id) as lost:
        assert cancel(api, customer, order_id).status_code == 202
        status_becomes(api, customer, order_id, "cancelled")
        payment_becomes(cloud, order_id, "voided")
        until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", SLOW, "the workflow finished")
    assert lost.fired == 1
    assert gateway_failures(cloud, order_id).count("GatewayUnavailable") == 1  # the Cancel task's Retry
    until(lambda: bank_webhooks(cloud, order_id, "payment.voided"), SLOW, "the void reported")
    assert len({d.event["event_id"] for d in bank_webhooks(cloud, order_id, "payment.voided")}) == 1
    got = detail(api, customer, order_id)
    assert types(got).count("OrderCancelled") == 1 and got["shipment"]["status"] == "cancelled"
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}
    until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", SLOW, "the workflow finished")
    assert owned(cloud, [order_id]) == {order_id: "finished"}


# ---- a poison message ---------------------------------------------------------------------------------------
def test_a_poison_dispatch_goes_to_the_dlq_without_blocking_its_batch_and_the_redrive_finishes_it(
    api, cloud, customer, staff_token, quick_dispatch_retries
):
    admin = auth(staff_token("admin"))

    def dead_letters() -> int:
        queues = api.get("/admin/operations/queues", headers=admin).json()
        return int(next(q for q in queues if q["queue"] == "warehouse-dispatch")["dead_letters"])

    assert dead_letters() == 0
    sku = new_sku(6)
    # Given the warehouse refuses one order's dispatch every time (422: an address it cannot serve)
    warehouse = f"{cloud.warehouse.url}/v1/dispatches"
    with ExitStack() as faults:
        calls = faults.enter_context(cloud.faults.record(DISPATCH))
        with cloud.faults.pause(DISPATCH):  # three dispatch requests queue up, to arrive in one batch
            orders = [placed(api, customer, sku) for _ in range(3)]
            for order_id in orders:
                queued(cloud, order_id)
            poison, good = orders[0], orders[1:]
            refusing = faults.enter_context(cloud.faults.http(warehouse, status=422, times=None, when=poison))
        # Then the others are dispatched from the very batch the poison message failed in
        for order_id in good:
            dispatched(cloud, order_id)
        first = until(lambda: records_of(calls, poison), SLOW, "the poison batch handled")[0]
        assert sorted(first[0]) == sorted(orders), first
        failures = first[1].result["batchItemFailures"]
        assert len(failures) == 1  # only the poison message comes back
        # and the poison message is in the DLQ after the queue's 5 receives, never dispatched
        until(lambda: dead_letters() == 1, SLOW, "the poison message in the DLQ")
        until(lambda: len(records_of(calls, poison)) == 5, SLOW, "the fifth receive handled")
        assert len(records_of(calls, poison)) == 5 and refusing.fired == 5
    assert poison not in cloud.warehouse.dispatches
    assert owned(cloud, orders) == dict.fromkeys(orders, "workflow")
    # When the cause is fixed (the fault is gone) and an admin redrives the DLQ
    moved = api.post("/admin/operations/queues/warehouse-dispatch/redrive", headers=admin, json={"max_messages": 10})
    assert moved.status_code == 200 and moved.json()["moved"] == 1, moved.text
    # Then the poison order is dispatched once and carries on
    dispatched(cloud, poison)
    assert cloud.warehouse.advance(poison, "handed_to_carrier") == 200
    status_becomes(api, customer, poison, "shipped")
    assert types(detail(api, customer, poison)).count("OrderDispatchRequested") == 1
    assert dead_letters() == 0
    assert owned(cloud, orders) == dict.fromkeys(orders, "workflow")


# ---- a partner that redelivers one webhook for an hour -----------------------------------------------------------
HOUR = (0, 1, 2, 4, 8, 16, 29)  # minutes waited before each attempt: 7 attempts over 60 minutes
SECONDS_PER_MINUTE = 0.05  # the hour takes 3 s here; the count and order of attempts are kept


def test_a_warehouse_redelivering_a_hand_over_for_an_hour_applies_it_once(api, cloud, customer):
    sku = new_sku(6)
    order_id, other = placed(api, customer, sku), placed(api, customer, sku)
    dispatched(cloud, order_id)
    dispatched(cloud, other)
    hand_over = cloud.warehouse.event(order_id, "handed_to_carrier")
    interleaved = ["accepted", "picking", "packed", "handed_to_carrier"]  # the other order's, meanwhile
    attempts: list[tuple[int, int, dict[str, Any]]] = []
    retry_after: list[str | None] = []
    url = f"{cloud.api_url}/webhooks/warehouse"
    # Given the platform is throttled for this order's writes for the first five attempts and dies
    # right after storing the sixth
    with (
        cloud.faults.throttle_dynamodb("orders", {"TransactWriteItems"}, times=5, when=order_id) as throttled,
        cloud.faults.crash("fulfilment-warehouse-webhook", after=1, when=order_id) as crashed,
    ):
        for minutes in HOUR:
            time.sleep(minutes * SECONDS_PER_MINUTE)  # the sender's schedule, not a wait for a result
            headers, body = cloud.warehouse.signed(hand_over)  # the same event, re-signed: a fresh timestamp
            answer = requests.post(url, data=body, headers=headers, timeout=30)
            stamp = int(headers["X-Signature"].split(",")[0].removeprefix("t="))
            json_answer = answer.headers.get("Content-Type", "").endswith("json")
            attempts.append((stamp, answer.status_code, answer.json() if json_answer else {}))
            retry_after.append(answer.headers.get("Retry-After"))
            if interleaved:
                assert cloud.warehouse.advance(other, interleaved.pop(0)) == 200
            if 200 <= answer.status_code < 300:
                break
    assert throttled.fired == 5 and crashed.fired == 1
    # Then it took the whole hour: five 503s (Retry-After), one 502 (the crash), then acknowledged
    assert [status for _, status, _ in attempts] == [503] * 5 + [502, 200]
    assert all(body["code"] == "TEMPORARILY_UNAVAILABLE" for _, _, body in attempts[:5])
    assert retry_after[:5] == ["1"] * 5
    # the sixth had applied it (then died); the seventh is a duplicate, which resumes the workflow
    assert attempts[-1][2].get("duplicate") is True, attempts[-1]
    # and the hand-over was applied once: one entry, one capture, stock deducted once
    got = status_becomes(api, customer, order_id, "shipped")
    status_becomes(api, customer, other, "shipped")
    for kind in ("OrderHandedToCarrier", "OrderDispatched"):
        assert types(got).count(kind) == 1
    until(lambda: bank_webhooks(cloud, order_id, "payment.captured"), SLOW, "the capture reported")
    assert len({d.event["event_id"] for d in bank_webhooks(cloud, order_id, "payment.captured")}) == 1
    assert got["shipment"]["tracking_number"] == hand_over["tracking_number"]
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}
    # And the first attempt's signature, an hour old by the sender's clock, is refused
    first_stamp = attempts[0][0]
    stale_headers, stale_body = cloud.warehouse.signed(hand_over, timestamp=first_stamp - 3600)
    stale = requests.post(url, data=stale_body, headers=stale_headers, timeout=30)
    assert_problem(stale, 401, "STALE_SIGNATURE")
    assert owned(cloud, [order_id, other]) == {order_id: "workflow", other: "workflow"}
