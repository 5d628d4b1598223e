"""Every staff write that succeeds is in the audit log (who, what, before, after, when); a refused
one is not. Read straight from the audit table (the browse route belongs to the back office)."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_lifecycle import LARGE, cancel, placed, status_becomes
from tests.integration.test_orders_api import new_sku


def history(cloud: Any, entity_type: str, entity_id: str) -> list[dict[str, Any]]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.physical("audit"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ENTITY#{entity_type}#{entity_id}"}},
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


def test_a_staff_cancel_is_audited_with_before_and_after_and_a_refused_one_is_not(api, cloud, staff_token):
    customer = new_customer(cloud)
    order_id = placed(api, customer, new_sku(3, price=LARGE))
    status_becomes(api, customer, order_id, "in_review")
    assert_problem(cancel(api, staff_token("warehouse"), order_id, staff=True), 403, "FORBIDDEN")
    assert history(cloud, "orders", order_id) == []  # refused: nothing changed, nothing recorded
    response = cancel(api, staff_token("customer-service"), order_id, staff=True, reason="Customer phoned")
    assert response.status_code == 202, response.text
    entries = until(lambda: history(cloud, "orders", order_id), message="the audit entry")
    assert len(entries) == 1
    entry = entries[0]
    username, _ = cloud.staff_credentials["customer-service"]
    assert entry["actor"].startswith("staff:") and entry["actor_email"] == username
    assert entry["action"] == "POST /admin/orders/{order_id}/cancel"
    assert entry["path"] == f"/admin/orders/{order_id}/cancel" and entry["status"] == "202"
    assert json.loads(entry["before"]) == {"status": "in_review"}
    assert json.loads(entry["after"])["status"] in ("cancel_requested", "cancelled")
    assert json.loads(entry["after"])["reason"] == "Customer phoned"
    assert entry["day"] == entry["at"][:10] and entry["request_id"]
    again = cancel(api, staff_token("customer-service"), order_id, staff=True, reason="Asked twice")
    assert again.status_code == 202
    assert len(history(cloud, "orders", order_id)) == 2  # every successful write is recorded


def test_a_staff_write_that_names_no_entity_is_recorded_with_its_request(api, cloud, staff_token):
    moved = api.post(
        "/admin/operations/queues/search-indexing/redrive", headers=auth(staff_token("admin")), json={"max_messages": 1}
    )
    assert moved.status_code == 200, moved.text
    entries = until(lambda: history(cloud, "operations", "search-indexing"), message="the audit entry")
    assert json.loads(entries[-1]["after"]) == {"max_messages": 1}
    assert entries[-1]["action"] == "POST /admin/operations/queues/{queue}/redrive"
