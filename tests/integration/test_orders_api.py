"""Placing orders over HTTP against the local cloud, with the real order-lifecycle ASL: the one
transaction (stock, quote, idempotency), the workflow through the payment outcome or the window's
end, the customer's order history, and the races (idempotent replays, oversell under concurrency)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal
from tests.integration.support import assert_problem, auth, until
from tests.integration.test_cart_api import new_customer, product, stock

NL_ADDRESS = {"name": "Ada Lovelace", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012JS", "country": "NL"}
CHOICES = {"shipping_address": NL_ADDRESS, "delivery_method": "standard", "payment_method": "card"}


def level(sku: str) -> dict[str, int]:
    item = client("dynamodb").get_item(
        TableName=os.environ["INVENTORY_TABLE"], Key=marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}), ConsistentRead=True
    )["Item"]
    data = unmarshal(item)
    return {k: data[k] for k in ("on_hand", "reserved", "available")}


def new_sku(units: int, price: int = 1999) -> str:
    sku = str(product({"O": price}, weight=300)["variants"][0]["sku"])
    stock(sku, units)
    return sku


def quote(api: Any, token: str, sku: str, quantity: int = 1) -> dict[str, Any]:
    """Put ``quantity`` of ``sku`` in the customer's cart and quote it; the quote (with its token)."""
    assert api.put(f"/me/cart/items/{sku}", headers=auth(token), json={"quantity": quantity}).status_code in (200, 404)
    if api.get("/me/cart", headers=auth(token)).json()["lines"] == []:
        assert (
            api.post("/me/cart/items", headers=auth(token), json={"sku": sku, "quantity": quantity}).status_code == 200
        )
    response = api.post("/me/cart/quote", headers=auth(token), json=CHOICES)
    assert response.status_code == 201, response.text
    return dict(response.json())


def place(api: Any, token: str, quote_token: str, key: str | None = None, payment: str = "tok_approve") -> Any:
    headers = {**auth(token), "Idempotency-Key": key or f"key-{uuid.uuid4().hex}"}
    return api.post("/orders", headers=headers, json={"quote_token": quote_token, "payment_token": payment})


def detail(api: Any, token: str, order_id: str) -> dict[str, Any]:
    response = api.get(f"/me/orders/{order_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def status_becomes(api: Any, token: str, order_id: str, status: str, timeout: float = 90) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        seen.update(detail(api, token, order_id))
        return dict(seen) if seen["order"]["status"] == status else None

    try:
        return dict(until(reached, timeout, f"order {order_id} {status}"))
    except AssertionError as error:  # say where it stood, and what happened to it
        timeline = [e["type"] for e in seen.get("timeline", [])]
        raise AssertionError(f"{error}; it is {seen.get('order', {}).get('status')} after {timeline}") from None


def execution(cloud: Any, order_id: str) -> dict[str, Any]:
    arn = cloud.state_machine_arn("order-lifecycle").replace(":stateMachine:", ":execution:") + f":{order_id}"
    return dict(cloud.client("stepfunctions").describe_execution(executionArn=arn))


def waits_for_a_token(cloud: Any, order_id: str, resource_type: str) -> bool:
    """The order's workflow waits for a task token: its newest event is the TaskSubmitted of a
    ``resource_type`` task ("lambda": Authorise's invoke; "sqs": Dispatch's SendMessage)."""
    arn = execution(cloud, order_id)["executionArn"]
    events = cloud.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    last = events[-1] if events else {}
    return last.get("type") == "TaskSubmitted" and last["taskSubmittedEventDetails"]["resourceType"] == resource_type


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


# ---- the happy path --------------------------------------------------------------------------------
def test_place_reserves_stock_and_the_workflow_marks_it_authorised(api, cloud, customer):
    sku = new_sku(10)
    q = quote(api, customer, sku, 2)
    assert q["quote_token"] and q["quote_token"].count(".") == 1
    response = place(api, customer, q["quote_token"])
    assert response.status_code == 201, response.text
    body = response.json()
    order_id = body["order_id"]
    assert body["status"] == "awaiting_payment" and body["status_url"] == f"/me/orders/{order_id}"
    assert level(sku) == {"on_hand": 10, "reserved": 2, "available": 8}
    got = status_becomes(api, customer, order_id, "ready_for_fulfilment")  # authorised, then the risk check
    order = got["order"]
    assert order["total"] == q["total"] and order["lines"][0]["quantity"] == 2 and order["quote_id"] == q["quote_id"]
    assert [e["type"] for e in got["timeline"]][:3] == [
        "OrderPlaced",
        "OrderPaymentAuthorised",
        "OrderReadyForFulfilment",
    ]
    assert got["timeline"][0]["by"].startswith("customer:") and got["timeline"][0]["event_id"] == f"{order_id}:1"
    assert got["payment"]["status"] == "authorised" and got["payment"]["amount"] == q["total"]
    assert level(sku) == {"on_hand": 10, "reserved": 2, "available": 8}  # still held for fulfilment
    assert got["order"]["contact_email"]  # the account's email: where the order's emails go
    cloud.warehouse.wait_for_dispatch(order_id, 90)  # the workflow now waits for the warehouse
    history = api.get("/me/orders", headers=auth(customer)).json()
    assert history["orders"][0]["order_id"] == order_id and history["orders"][0]["item_count"] == 2


def test_the_happy_path_makes_exactly_two_sequential_aws_calls(api, customer):
    sku = new_sku(10)
    warm = place(api, customer, quote(api, customer, sku)["quote_token"])  # caches the signing key
    assert warm.status_code == 201
    # let the warm-up order's workflow finish: its tasks must not run while calls are counted
    status_becomes(api, customer, warm.json()["order_id"], "ready_for_fulfilment", timeout=60)
    q = quote(api, customer, sku)
    calls: list[tuple[int, str]] = []

    def count(model: Any, **_: Any) -> None:
        calls.append((threading.get_ident(), model.name))

    clients = [client(service) for service in ("dynamodb", "stepfunctions", "secretsmanager", "events")]
    for c in clients:
        c.meta.events.register("before-call", count)
    try:
        response = place(api, customer, q["quote_token"])
    finally:
        for c in clients:
            c.meta.events.unregister("before-call", count)
    assert response.status_code == 201, response.text
    handler_thread = next(thread for thread, name in calls if name == "TransactWriteItems")
    assert [name for thread, name in calls if thread == handler_thread] == ["TransactWriteItems", "StartExecution"]


# ---- payment outcomes ----------------------------------------------------------------------------------
def test_the_payment_window_closes_the_order_expires_and_the_stock_is_released(api, cloud, customer, monkeypatch):
    sku = new_sku(7)
    q = quote(api, customer, sku, 3)
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "2")
    response = place(api, customer, q["quote_token"], payment="tok_challenge")  # the challenge is never completed
    assert response.status_code == 201, response.text
    order_id = response.json()["order_id"]
    assert level(sku)["reserved"] == 3
    got = status_becomes(api, customer, order_id, "expired")
    assert got["order"]["payment_window_seconds"] == 2
    assert [e["type"] for e in got["timeline"]] == ["OrderPlaced", "OrderExpired"]
    assert level(sku) == {"on_hand": 7, "reserved": 0, "available": 7}
    until(lambda: execution(cloud, order_id)["status"] == "SUCCEEDED", message="execution done")


def test_a_declined_payment_holds_the_stock_for_a_retry_then_releases_it_when_the_window_closes(
    api, customer, monkeypatch
):
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "4")
    sku = new_sku(4)
    response = place(api, customer, quote(api, customer, sku, 4)["quote_token"], payment="tok_decline")
    assert response.status_code == 201, response.text
    assert level(sku)["available"] == 0
    order_id = response.json()["order_id"]
    got = status_becomes(api, customer, order_id, "expired")  # the retry flow: test_order_lifecycle
    assert [e["type"] for e in got["timeline"]] == ["OrderPlaced", "OrderPaymentDeclined", "OrderExpired"]
    assert got["payment"]["status"] == "failed"
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}


# ---- idempotency and refusals ----------------------------------------------------------------------------
def test_the_same_key_and_body_answer_the_same_order_once(api, cloud, customer):
    sku = new_sku(5)
    q = quote(api, customer, sku, 2)
    first = place(api, customer, q["quote_token"], key="idem-key-0001")
    again = place(api, customer, q["quote_token"], key="idem-key-0001")
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["order_id"] == first.json()["order_id"]
    assert level(sku)["reserved"] == 2  # reserved once
    order_id = first.json()["order_id"]
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    arn = cloud.state_machine_arn("order-lifecycle")
    mine = [
        e
        for e in cloud.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
        if e["name"] == order_id
    ]
    assert len(mine) == 1
    other = quote(api, customer, sku, 1)
    assert_problem(place(api, customer, other["quote_token"], key="idem-key-0001"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_problem(place(api, customer, q["quote_token"], key="short"), 400, "IDEMPOTENCY_KEY_REQUIRED")
    no_key = api.post(
        "/orders", headers=auth(customer), json={"quote_token": q["quote_token"], "payment_token": "tok_approve"}
    )
    assert_problem(no_key, 400, "IDEMPOTENCY_KEY_REQUIRED")


def test_a_quote_places_one_order(api, customer):
    sku = new_sku(5)
    q = quote(api, customer, sku)
    assert place(api, customer, q["quote_token"]).status_code == 201
    assert_problem(place(api, customer, q["quote_token"]), 409, "QUOTE_ALREADY_USED")
    assert level(sku)["reserved"] == 1


def test_short_stock_is_refused_with_what_is_available_and_nothing_reserved(api, customer):
    sku = new_sku(3)
    q = quote(api, customer, sku, 3)
    stock(sku, 1)  # sold elsewhere since the quote
    body = assert_problem(place(api, customer, q["quote_token"]), 409, "INSUFFICIENT_STOCK")
    assert body["items"] == [{"sku": sku, "requested": 3, "available": 1}]
    assert level(sku) == {"on_hand": 1, "reserved": 0, "available": 1}


def test_bad_tokens_and_bodies_are_refused(api, cloud, customer):
    sku = new_sku(5)
    token = quote(api, customer, sku)["quote_token"]
    body, signature = token.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    assert_problem(place(api, customer, tampered), 422, "INVALID_QUOTE_TOKEN")
    assert_problem(place(api, customer, body + "." + "0" * 64), 422, "INVALID_QUOTE_TOKEN")
    assert_problem(place(api, customer, "not-a-token-at-all"), 422, "INVALID_QUOTE_TOKEN")
    other = new_customer(cloud)
    assert_problem(place(api, other, token), 422, "INVALID_QUOTE_TOKEN")  # issued to someone else
    assert_problem(place(api, customer, token, payment="4111111111111111"), 422, "INVALID_BODY")
    assert api.post("/orders", json={"quote_token": token, "payment_token": "tok_approve"}).status_code == 401
    assert level(sku)["reserved"] == 0


def test_customers_only_reach_their_own_orders(api, cloud, customer):
    sku = new_sku(5)
    order_id = place(api, customer, quote(api, customer, sku)["quote_token"]).json()["order_id"]
    other = new_customer(cloud)
    assert_problem(api.get(f"/me/orders/{order_id}", headers=auth(other)), 404, "ORDER_NOT_FOUND")
    assert api.get("/me/orders", headers=auth(other)).json() == {"orders": [], "next_cursor": None}
    assert api.get(f"/me/orders/{order_id}").status_code == 401


def test_history_is_newest_first_and_paginated(api, customer):
    sku = new_sku(10)
    placed = [place(api, customer, quote(api, customer, sku)["quote_token"]).json()["order_id"] for _ in range(3)]
    first = api.get("/me/orders", headers=auth(customer), params={"limit": 2}).json()
    assert [o["order_id"] for o in first["orders"]] == placed[::-1][:2] and first["next_cursor"]
    rest = api.get("/me/orders", headers=auth(customer), params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [o["order_id"] for o in rest["orders"]] == placed[:1]
    assert_problem(api.get("/me/orders", headers=auth(customer), params={"cursor": "bm9wZQ"}), 422, "INVALID_CURSOR")


# ---- concurrency ------------------------------------------------------------------------------------------
def test_twenty_concurrent_orders_for_five_units_accept_exactly_five(api, customer):
    sku = new_sku(5)
    tokens = [quote(api, customer, sku)["quote_token"] for _ in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda t: place(api, customer, t).status_code, tokens))
    assert sorted(statuses) == [201] * 5 + [409] * 15
    assert level(sku) == {"on_hand": 5, "reserved": 5, "available": 0}


@pytest.fixture(autouse=True)
def _no_leaked_window() -> Iterator[None]:
    yield
    os.environ.pop("ORDER_PAYMENT_WINDOW_SECONDS", None)
