"""Inventory in the back office over HTTP against the local cloud: stock per SKU and warehouse,
adjustments with a reason, transfers in one transaction, thresholds, the change log (staff changes
in their own transaction, order-driven ones from the stream), and LowStock once per crossing."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest

from commerce.adapters.aws import client
from commerce.adapters.inventory_dynamo import DynamoStockRepository
from infra.topology import TOPOLOGY
from tests.integration.support import assert_problem, auth, until
from tests.integration.test_cart_api import save_product

ROUTES = TOPOLOGY.function("inventory-admin-stock").http


@pytest.fixture(scope="module")
def staff(staff_token) -> dict[str, str]:
    return auth(staff_token("warehouse"))


def new_skus(count: int) -> list[str]:
    """SKUs the catalogue has (one product) and the inventory has never seen, in order."""
    tag = uuid.uuid4().hex[:8].upper()
    skus = [f"INV{tag}-{n}" for n in range(count)]
    variants = [{"sku": sku, "name": sku, "price": 900, "weight_grams": 100} for sku in skus]
    save_product(
        {"product_id": f"inv-{tag.lower()}", "name": "Stock", "brand": "Test", "category": "test", "variants": variants}
    )
    return skus


def new_sku() -> str:
    return new_skus(1)[0]


def adjust(api, staff, sku: str, delta: int, warehouse: str = "main", reason: str = "goods received", **headers: str):
    body = {"warehouse": warehouse, "delta": delta, "reason": reason}
    return api.post(f"/admin/inventory/{sku}/adjustments", headers=staff | headers, json=body)


def stocked(api, staff, units: int, threshold: int | None = None, sku: str | None = None) -> str:
    sku = sku or new_sku()
    assert adjust(api, staff, sku, units).status_code == 201
    if threshold is not None:
        assert api.put(f"/admin/inventory/{sku}/low-stock-threshold", headers=staff, json={"threshold": threshold}).ok
    return sku


def detail(api, staff, sku: str) -> dict[str, Any]:
    response = api.get(f"/admin/inventory/{sku}", headers=staff)
    assert response.status_code == 200, response.text
    return dict(response.json())


def orders(move: str, sku: str, quantity: int) -> None:
    """What the orders context does to stock, in its own transactions (reserve, release, dispatch)."""
    stock = DynamoStockRepository(os.environ["INVENTORY_TABLE"])
    items = {
        "reserve": lambda: stock.reservation_items([(sku, quantity)]),
        "release": lambda: stock.release_items([(sku, quantity)]),
        "dispatch": lambda: stock.deduct_items([(sku, quantity)], "main"),
    }[move]()
    client("dynamodb").transact_write_items(TransactItems=items)


@pytest.fixture(scope="module")
def low_stock_events(cloud):
    """Every LowStock event on the bus, through a rule to a queue of the test's own."""
    sqs, events = cloud.client("sqs"), cloud.client("events")
    name = f"test-low-stock-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"detail-type": ["LowStock"], "source": ["commerce.inventory"]}
    events.put_rule(Name=name, EventBusName=cloud.bus_name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=cloud.bus_name, Targets=[{"Id": "q", "Arn": arn}])
    seen: list[dict[str, Any]] = []

    def received(sku: str) -> list[dict[str, Any]]:
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [e["detail"] for e in seen if e["detail"]["sku"] == sku]

    yield received
    events.remove_targets(Rule=name, EventBusName=cloud.bus_name, Ids=["q"])
    events.delete_rule(Name=name, EventBusName=cloud.bus_name)
    sqs.delete_queue(QueueUrl=url)


# ---- who may ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_each_route_refuses_customers_and_staff_without_manage_inventory(api, staff_token, customer_token, route):
    path = re.sub(r"\{[^}]+\}", "AUR-BLA", route.path)
    body = json.dumps({"warehouse": "main", "delta": 1, "reason": "not allowed", "threshold": 1})
    for token in ("", customer_token):
        response = api.request(
            route.method, path, headers=auth(token) | {"Content-Type": "application/json"}, data=body
        )
        assert response.status_code == 401, response.text
    for group in ("order-manager", "finance", "marketing"):
        response = api.request(
            route.method, path, headers=auth(staff_token(group)) | {"Content-Type": "application/json"}, data=body
        )
        assert assert_problem(response, 403, "FORBIDDEN")["permission"] == "MANAGE_INVENTORY"
    assert api.get("/admin/inventory/AUR-BLA", headers=auth(staff_token("catalogue-manager"))).status_code == 200


# ---- adjustments --------------------------------------------------------------------------------------------
def test_an_adjustment_is_applied_with_its_reason_and_logged_in_the_same_change(api, cloud, staff):
    sku = new_sku()
    response = adjust(api, staff, sku, 12, reason="delivery 4711")
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["stock"] | {"on_hand": 12, "reserved": 0, "available": 12} == result["stock"]
    assert result["stock"]["warehouses"] == [{"warehouse": "main", "on_hand": 12}]
    assert result["change"]["kind"] == "adjustment" and result["change"]["on_hand"] == 12
    (entry,) = detail(api, staff, sku)["changes"]
    username, _ = cloud.staff_credentials["warehouse"]
    assert (entry["delta"], entry["reason"], entry["actor_email"]) == (12, "delivery 4711", username)
    assert entry["actor"].startswith("staff:") and entry["at"]


@pytest.mark.parametrize(
    "body",
    [
        {"warehouse": "main", "delta": 5},
        {"warehouse": "main", "delta": 5, "reason": "  "},
        {"warehouse": "main", "delta": 0, "reason": "nothing"},
        {"warehouse": "Main Hall", "delta": 5, "reason": "bad warehouse"},
        {"warehouse": "main", "delta": 5, "reason": "extra", "by": "me"},
    ],
)
def test_an_adjustment_without_a_reason_or_with_bad_fields_changes_nothing(api, staff, body):
    sku = stocked(api, staff, 3)
    assert_problem(api.post(f"/admin/inventory/{sku}/adjustments", headers=staff, json=body), 422, "INVALID_BODY")
    assert detail(api, staff, sku)["on_hand"] == 3 and len(detail(api, staff, sku)["changes"]) == 1


def test_stock_cannot_go_below_what_is_reserved_nor_a_warehouse_below_zero(api, staff):
    sku = stocked(api, staff, 10)
    orders("reserve", sku, 7)
    refused = assert_problem(adjust(api, staff, sku, -4, reason="count"), 409, "STOCK_BELOW_RESERVED")
    assert refused["sku"] == sku
    assert adjust(api, staff, sku, 5, warehouse="east").status_code == 201
    short = assert_problem(
        adjust(api, staff, sku, -6, warehouse="east", reason="damaged"), 409, "INSUFFICIENT_WAREHOUSE_STOCK"
    )
    assert short["on_hand"] == 5
    after = detail(api, staff, sku)
    assert (after["on_hand"], after["reserved"], after["available"]) == (15, 7, 8)
    assert adjust(api, staff, sku, -3, reason="count").status_code == 201


def test_a_sku_the_catalogue_never_had_gets_no_stock(api, staff):
    assert_problem(adjust(api, staff, "NO-SUCH-SKU-X1", 5), 404, "SKU_NOT_FOUND")
    assert_problem(api.get("/admin/inventory/NO-SUCH-SKU-X1", headers=staff), 404, "SKU_NOT_STOCKED")
    assert_problem(api.get("/admin/inventory/lower-case", headers=staff), 422, "INVALID_PARAMETER")


def test_a_retried_adjustment_with_its_key_applies_once(api, staff):
    sku = stocked(api, staff, 1)
    key = {"Idempotency-Key": f"adj-{uuid.uuid4().hex}"}
    first = adjust(api, staff, sku, 10, **key)
    again = adjust(api, staff, sku, 10, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        again.json()["replayed"] is True and again.json()["change"]["change_id"] == first.json()["change"]["change_id"]
    )
    assert detail(api, staff, sku)["on_hand"] == 11
    assert_problem(adjust(api, staff, sku, 11, **key), 409, "IDEMPOTENCY_KEY_REUSED")


# ---- transfers ----------------------------------------------------------------------------------------------
def test_a_transfer_moves_units_between_warehouses_in_one_change(api, staff):
    sku = stocked(api, staff, 10)
    body = {"sku": sku, "from_warehouse": "main", "to_warehouse": "east", "quantity": 4, "reason": "rebalance"}
    response = api.post("/admin/inventory/transfers", headers=staff, json=body)
    assert response.status_code == 201, response.text
    stock = response.json()["stock"]
    assert stock["warehouses"] == [{"warehouse": "east", "on_hand": 4}, {"warehouse": "main", "on_hand": 6}]
    assert (stock["on_hand"], stock["available"]) == (10, 10)
    short = api.post("/admin/inventory/transfers", headers=staff, json=body | {"quantity": 7})
    assert assert_problem(short, 409, "INSUFFICIENT_WAREHOUSE_STOCK")["on_hand"] == 6
    nowhere = api.post("/admin/inventory/transfers", headers=staff, json=body | {"from_warehouse": "west"})
    assert_problem(nowhere, 409, "INSUFFICIENT_WAREHOUSE_STOCK")
    assert_problem(
        api.post("/admin/inventory/transfers", headers=staff, json=body | {"to_warehouse": "main"}), 422, "INVALID_BODY"
    )
    unstocked = api.post("/admin/inventory/transfers", headers=staff, json=body | {"sku": new_sku()})
    assert_problem(unstocked, 404, "SKU_NOT_STOCKED")
    changes = detail(api, staff, sku)["changes"]
    assert next((c["kind"], c["delta"], c["warehouse"], c["to_warehouse"]) for c in changes) == (
        "transfer",
        4,
        "main",
        "east",
    )
    assert detail(api, staff, sku)["warehouses"] == stock["warehouses"]


# ---- the change log of order-driven changes, and low stock ------------------------------------------------------
def test_orders_changes_are_logged_from_the_stream(api, cloud, staff):
    sku = stocked(api, staff, 10)
    orders("reserve", sku, 3)
    orders("release", sku, 1)
    orders("dispatch", sku, 2)
    assert cloud.wait_for_idle(timeout=30)
    changes = detail(api, staff, sku)["changes"]
    assert [(c["kind"], c["delta"], c["actor"]) for c in changes[:3]] == [
        ("dispatch", -2, "system:orders"),
        ("release", -1, "system:orders"),
        ("reservation", 3, "system:orders"),
    ]
    assert changes[0]["on_hand"] == 8 and changes[0]["reserved"] == 0
    page = api.get(f"/admin/inventory/{sku}", headers=staff, params={"changes_limit": 2}).json()
    rest = api.get(
        f"/admin/inventory/{sku}", headers=staff, params={"changes_cursor": page["next_changes_cursor"]}
    ).json()
    assert len(page["changes"]) == 2 and [c["change_id"] for c in page["changes"] + rest["changes"]] == [
        c["change_id"] for c in changes
    ]


def test_low_stock_is_announced_once_per_crossing_and_listed(api, cloud, staff, low_stock_events):
    sku = stocked(api, staff, 10, threshold=4)
    orders("reserve", sku, 3)  # 7 available
    orders("reserve", sku, 3)  # 4: crosses
    orders("reserve", sku, 1)  # 3: still low, no second event
    assert cloud.wait_for_idle(timeout=30)
    (event,) = until(lambda: low_stock_events(sku), message="the LowStock event")
    assert (event["available"], event["threshold"], event["reserved"]) == (4, 4, 6)
    low = api.get("/admin/inventory", headers=staff, params={"low_stock": "true", "sku_prefix": sku}).json()["items"]
    assert [(s["sku"], s["low_stock"]) for s in low] == [(sku, True)]

    assert adjust(api, staff, sku, 20).status_code == 201  # recovers: leaves the list
    orders("reserve", sku, 20)  # falls again: a new crossing, a new event
    assert cloud.wait_for_idle(timeout=30)
    assert [
        e["available"] for e in until(lambda: low_stock_events(sku) if len(low_stock_events(sku)) == 2 else None)
    ] == [
        4,
        3,
    ]
    assert len(low_stock_events(sku)) == 2


def test_raising_the_threshold_above_available_makes_it_low(api, cloud, staff, low_stock_events):
    sku = stocked(api, staff, 8)
    response = api.put(f"/admin/inventory/{sku}/low-stock-threshold", headers=staff, json={"threshold": 10})
    assert response.status_code == 200 and response.json()["low_stock"] is True
    assert_problem(
        api.put(f"/admin/inventory/{sku}/low-stock-threshold", headers=staff, json={"threshold": -1}),
        422,
        "INVALID_BODY",
    )
    assert_problem(
        api.put(f"/admin/inventory/{new_sku()}/low-stock-threshold", headers=staff, json={"threshold": 1}),
        404,
        "SKU_NOT_STOCKED",
    )
    assert cloud.wait_for_idle(timeout=30)
    assert [e["threshold"] for e in until(lambda: low_stock_events(sku), message="LowStock")] == [10]
    assert detail(api, staff, sku)["changes"][0]["kind"] == "threshold"


# ---- listing -------------------------------------------------------------------------------------------------
def test_the_listing_walks_skus_in_order_with_a_prefix_and_cursor(api, staff):
    skus = [stocked(api, staff, n + 1, sku=sku) for n, sku in enumerate(new_skus(3))]
    prefix = skus[0][:-1]
    seen, cursor = [], None
    while True:
        params = {"sku_prefix": prefix, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/admin/inventory", headers=staff, params=params).json()
        seen += [s["sku"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == skus
    assert_problem(api.get("/admin/inventory", headers=staff, params={"cursor": "garbage"}), 400, "INVALID_CURSOR")
    assert_problem(api.get("/admin/inventory", headers=staff, params={"warehouse": "x"}), 422, "UNKNOWN_PARAMETER")


def test_staff_changes_are_in_the_audit_log(api, cloud, staff):
    sku = stocked(api, staff, 2)

    def entries() -> list[dict[str, Any]]:
        items = cloud.client("dynamodb").query(
            TableName=cloud.physical("audit"),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ENTITY#inventory#{sku}"}},
        )["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    (entry,) = until(entries, message="the audit entry")
    assert entry["action"] == "POST /admin/inventory/{sku}/adjustments"
    assert json.loads(entry["after"])["on_hand"] == 2 and entry.get("before") in (None, "null")
