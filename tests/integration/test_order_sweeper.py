"""The reservation sweeper (docs/orders.md section 5) in the local cloud: orders past their
``reserved_until`` whose workflow is dead (stopped) or never started are expired and their stock
released exactly once, in one transaction, with an OrderExpired timeline entry the outbox
publishes; running workflows are left alone; a second sweep (or a concurrent one) changes nothing."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal
from commerce.adapters.inventory_dynamo import DynamoStockRepository
from commerce.adapters.orders_dynamo import DynamoOrderRepository
from commerce.orders.models import IdempotencyRecord, Order, TimelineEntry
from commerce.orders.service import hold_shard, iso_at
from tests.integration.support import until
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_outbox import order_events  # noqa: F401 - the fixture
from tests.integration.test_orders_api import NL_ADDRESS, execution, level, new_sku, place, quote, waits_for_a_token

SWEEPER = "orders-sweep-reservations"


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


def order_item(order_id: str) -> dict[str, Any]:
    item = client("dynamodb").get_item(
        TableName=os.environ["ORDERS_TABLE"],
        Key=marshal({"pk": f"ORDER#{order_id}", "sk": "ORDER"}),
        ConsistentRead=True,
    )["Item"]
    return unmarshal(item)


def hold_expired(order_id: str) -> None:
    """Move the order's hold into the past (as if its window had closed long ago). The item is
    written whole, as placement writes it: moto's UpdateItem refuses the number against the
    ``holds`` index's string-typed sort key (see docs/orders.md section 5: the key must be a number)."""
    item = order_item(order_id)
    item["reserved_until"] = int(time.time()) - 60
    client("dynamodb").put_item(TableName=os.environ["ORDERS_TABLE"], Item=marshal(item))


def timeline(order_id: str) -> list[dict[str, Any]]:
    return [e.model_dump() for e in repository().timeline(order_id)]


def repository() -> DynamoOrderRepository:
    return DynamoOrderRepository(
        os.environ["ORDERS_TABLE"], os.environ["CARTS_TABLE"], DynamoStockRepository(os.environ["INVENTORY_TABLE"])
    )


def sweep(cloud: Any) -> dict[str, list[str]]:
    result = cloud.run_schedule(SWEEPER)
    assert not result.failed, result.error
    return dict(result.result)


def placed_and_waiting(api: Any, cloud: Any, customer: str, sku: str, quantity: int) -> str:
    """An order whose workflow waits for a payment challenge that never comes (30-minute window)."""
    response = place(api, customer, quote(api, customer, sku, quantity)["quote_token"], payment="tok_challenge")
    assert response.status_code == 201, response.text
    order_id = str(response.json()["order_id"])
    until(lambda: waits_for_a_token(cloud, order_id, "lambda"), message="the workflow waiting for the payment's token")
    assert order_item(order_id)["status"] == "awaiting_payment"
    return order_id


def stop(cloud: Any, order_id: str) -> None:
    """Stop the order's workflow, as AWS does: at once, though its Authorise task waits for a token
    for the 30-minute payment window (local/patches.py, patch 11)."""
    arn = execution(cloud, order_id)["executionArn"]
    cloud.client("stepfunctions").stop_execution(executionArn=arn, error="Test", cause="a dead workflow")
    until(lambda: execution(cloud, order_id)["status"] != "RUNNING", timeout=15, message="the workflow stopped")


def test_a_dead_workflows_hold_is_released_exactly_once(api, cloud, customer, order_events):  # noqa: F811
    sku = new_sku(6)
    order_id = placed_and_waiting(api, cloud, customer, sku, 2)
    assert level(sku) == {"on_hand": 6, "reserved": 2, "available": 4}
    stop(cloud, order_id)
    hold_expired(order_id)

    first = sweep(cloud)
    assert order_id in first["released"]
    item = order_item(order_id)
    assert item["status"] == "expired"
    assert "hold_shard" not in item and "reserved_until" not in item  # the sparse index forgot it
    assert level(sku) == {"on_hand": 6, "reserved": 0, "available": 6}
    last = timeline(order_id)[-1]
    assert last["type"] == "OrderExpired" and last["by"] == "system:sweeper"
    assert last["detail"]["reason"] == "reservation_swept"
    assert last["detail"]["execution_status"] == execution(cloud, order_id)["status"]  # moto: FAILED, AWS: ABORTED

    second = sweep(cloud)
    assert all(order_id not in ids for ids in second.values())
    assert level(sku) == {"on_hand": 6, "reserved": 0, "available": 6}
    assert [e["type"] for e in timeline(order_id)].count("OrderExpired") == 1
    # the sweeper's entry reaches the bus once, through the outbox
    until(lambda: any(d["by"] == "system:sweeper" for _, d in order_events.outbox(order_id)), message="published")
    # (visible work done; a message another test left waiting out its visibility timeout is not ours)
    assert cloud.wait_for_idle(30, include_invisible=False)
    assert [d["event_id"] for t, d in order_events.outbox(order_id) if t == "OrderExpired"] == [last["event_id"]]


def test_a_running_workflow_is_left_alone(api, cloud, customer):
    sku = new_sku(4)
    order_id = placed_and_waiting(api, cloud, customer, sku, 1)
    hold_expired(order_id)
    try:
        outcome = sweep(cloud)
        assert order_id in outcome["running"]
        assert order_item(order_id)["status"] == "awaiting_payment"
        assert level(sku) == {"on_hand": 4, "reserved": 1, "available": 3}
        assert execution(cloud, order_id)["status"] == "RUNNING"
    finally:
        stop(cloud, order_id)


def never_started(sku: str, quantity: int, customer_id: str = "c-sweeper") -> str:
    """An order placed by its transaction whose StartExecution never happened (a crash between the
    two calls of placement), its window long closed."""
    order_id = f"ord_sw{uuid.uuid4().hex[:20]}"
    past = time.time() - 3600
    order = Order.model_validate(
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "status": "awaiting_payment",
            "quote_id": f"quo_sw{uuid.uuid4().hex[:12]}",
            "currency": "EUR",
            "lines": [
                {
                    "sku": sku,
                    "product_id": "p",
                    "name": "n",
                    "quantity": quantity,
                    "unit_price": 100,
                    "line_total": 100 * quantity,
                    "tax": 0,
                }
            ],
            "subtotal": 100 * quantity,
            "shipping": 0,
            "discount_total": 0,
            "tax": 0,
            "total": 100 * quantity,
            "shipping_address": NL_ADDRESS,
            "payment_method": "card",
            "payment_window_seconds": 60,
            "reserved_until": int(past) + 60,
            "created_at": iso_at(past),
            "updated_at": iso_at(past),
        }
    )
    first = TimelineEntry(event_id=f"{order_id}:1", seq=1, type="OrderPlaced", at=iso_at(past), by="customer:c")
    key = IdempotencyRecord(customer_id=customer_id, key=uuid.uuid4().hex, body_hash="h", order_id=order_id)
    repository().place(order, first, key, int(past) + 900)
    return order_id


def test_an_order_whose_workflow_never_started_is_expired_and_released(cloud):
    sku = new_sku(5)
    order_id = never_started(sku, 3)
    assert level(sku) == {"on_hand": 5, "reserved": 3, "available": 2}
    assert order_id in sweep(cloud)["released"]
    assert order_item(order_id)["status"] == "expired"
    assert level(sku) == {"on_hand": 5, "reserved": 0, "available": 5}
    assert timeline(order_id)[-1]["detail"]["execution_status"] == "NONE"
    assert all(order_id not in ids for ids in sweep(cloud).values())
    assert level(sku) == {"on_hand": 5, "reserved": 0, "available": 5}


def test_a_sweep_that_lost_the_race_changes_nothing(cloud):
    """Two sweeps reading the same order: the one that writes second fails its condition (status
    and timeline_seq) and reports a conflict; the stock is released once. (Deterministic: the loser
    acts on what it read before the winner wrote.)"""
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.orders.sweeper import Sweeper

    sku = new_sku(4)
    order_id = never_started(sku, 2)
    stale = repository().get(order_id)
    assert stale is not None
    assert order_id in sweep(cloud)["released"]

    class Stale:  # answers the order as it was before the first sweep released it
        def holds_due(self, shard: str, now: int, cursor: Any = None) -> tuple[list[str], Any]:
            return ([order_id] if shard == hold_shard(order_id) else []), None

        def get(self, _: str) -> Any:
            return stale

        def move(self, *args: Any, **kwargs: Any) -> None:
            repository().move(*args, **kwargs)

    workflows = StepFunctionsWorkflow(cloud.state_machine_arn("order-lifecycle"))
    assert Sweeper(Stale(), workflows).sweep()["conflict"] == [order_id]
    assert [e["type"] for e in timeline(order_id)] == ["OrderPlaced", "OrderExpired"]
    assert level(sku) == {"on_hand": 4, "reserved": 0, "available": 4}
