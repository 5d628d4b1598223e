"""The back office's dashboard over HTTP against the local cloud (docs/back-office.md, "The
dashboard"): counters kept from the order events through the bus rule, its queue and consumer,
each event counted once however often it is delivered; orders by status; flagged orders; low stock."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_lifecycle import LARGE, SLOW, dispatched, placed, status_becomes
from tests.integration.test_orders_api import new_sku


def dashboard(api: Any, staff_token: Any, group: str = "finance") -> dict[str, Any]:
    response = api.get("/admin/dashboard", headers=auth(staff_token(group)))
    assert response.status_code == 200, response.text
    return dict(response.json())


def put_order_event(cloud: Any, kind: str, order_id: str, seq: int, at: str, **detail: Any) -> None:
    entry = {
        "Source": "commerce.orders",
        "DetailType": kind,
        "Detail": json.dumps({"event_id": f"{order_id}:{seq}", "order_id": order_id, "occurred_at": at} | detail),
        "EventBusName": cloud.bus_name,
    }
    assert cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def day_of(board: dict[str, Any], date: str) -> dict[str, Any]:
    return next(d for d in board["charts"]["last_14_days"] if d["date"] == date)


def test_only_reporting_staff_see_the_dashboard(api, customer_token, staff_token):
    for headers in ({}, auth(customer_token)):
        assert_problem(api.get("/admin/dashboard", headers=headers), 401, "UNAUTHORIZED")
    body = assert_problem(api.get("/admin/dashboard", headers=auth(staff_token("warehouse"))), 403, "FORBIDDEN")
    assert body["permission"] == "VIEW_REPORTS"
    unknown = api.get("/admin/dashboard", headers=auth(staff_token("finance")), params={"day": "today"})
    assert_problem(unknown, 422, "UNKNOWN_PARAMETER")
    board = dashboard(api, staff_token, "order-manager")
    assert board["timezone"] == "UTC" and len(board["charts"]["today_by_hour"]) == 24
    assert len(board["charts"]["last_14_days"]) == 14 and board["today"] == board["charts"]["last_14_days"][-1]


def test_each_order_event_is_counted_once_however_often_and_in_whatever_order_it_arrives(api, cloud, staff_token):
    """Events dated yesterday in a currency no real order uses: that day's figures are exact."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    at = f"{yesterday}T14:20:00.000Z"
    orders = [f"ord_dash{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for order_id in orders:
        # delivered out of order and twice over
        put_order_event(cloud, "OrderPaymentDeclined", order_id, 2, at, status="awaiting_payment_retry")
        for _ in range(2):
            put_order_event(
                cloud, "OrderPlaced", order_id, 1, at, status="awaiting_payment", total=1234, currency="CHF"
            )
        put_order_event(cloud, "OrderCancelled", order_id, 3, at, status="cancelled")
        put_order_event(cloud, "OrderPaymentDeclined", order_id, 2, at, status="awaiting_payment_retry")
    assert cloud.wait_for_idle(SLOW)

    day = until(
        lambda: (d := day_of(dashboard(api, staff_token), yesterday))["revenue"].get("CHF") == 2468 and d,
        SLOW,
        "yesterday's counters",
    )
    assert day["orders"] == 2 and day["payment_declines"] == 2 and day["cancelled"] == 2
    states = [
        cloud.client("dynamodb").get_item(
            TableName=cloud.physical("reports"),
            Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "STATE"}},
            ConsistentRead=True,
        )["Item"]
        for order_id in orders
    ]
    assert [s["status"]["S"] for s in states] == ["cancelled", "cancelled"]  # the late decline moved nothing back


def test_todays_orders_statuses_and_flagged_orders_come_from_the_real_workflow(api, cloud, staff_token):
    before = dashboard(api, staff_token)
    customer = new_customer(cloud)
    order_id = placed(api, customer, new_sku(5))
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    hour = datetime.now(UTC).strftime("%H")

    def counted() -> dict[str, Any] | None:
        board = dashboard(api, staff_token)
        return board if board["today"]["orders"] > before["today"]["orders"] else None

    board = until(counted, SLOW, "today's order counted")
    assert sum(board["today"]["revenue"].values()) > sum(before["today"]["revenue"].values())
    assert next(h for h in board["charts"]["today_by_hour"] if h["hour"] == hour)["orders"] >= 1
    until(
        lambda: dashboard(api, staff_token)["orders_by_status"]["ready_for_fulfilment"] >= 1,
        SLOW,
        "the order's status counted",
    )

    other = new_customer(cloud)
    flagged = placed(api, other, new_sku(2, price=LARGE))
    status_becomes(api, other, flagged, "in_review")
    waiting = dashboard(api, staff_token)["flagged_waiting"]
    assert waiting["in_review"] >= 1 and waiting["total"] >= waiting["in_review"]
    assert api.post(f"/admin/orders/{flagged}/reject", headers=auth(staff_token("admin")), json={"reason": "x"}).ok


def test_low_stock_skus_are_those_at_or_below_their_threshold(api, staff_token):
    """Through the inventory context's low-stock list (kept by its stream watcher, moments later)."""
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.inventory.admin import StockAdmin
    from commerce.wiring.reports import InventoryLowStock, ReadOnlyCatalogue

    low, plenty = new_sku(2), new_sku(50)
    stock = InventoryLowStock(StockAdmin(DynamoStockRepository(os.environ["INVENTORY_TABLE"]), ReadOnlyCatalogue()))
    found = until(
        lambda: (f := {s.sku: s for s in stock.low_stock()}) and low in f and f, SLOW, "the SKU listed as low"
    )
    assert plenty not in found
    assert found[low].available == 2 and found[low].low_stock_threshold == 5
    board = dashboard(api, staff_token)
    assert board["low_stock_count"] >= 1 and len(board["low_stock"]) <= 50
    shown = [s["available"] for s in board["low_stock"]]
    assert shown == sorted(shown)
