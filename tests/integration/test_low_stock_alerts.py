"""Low-stock alerts reach staff, end to end against the local cloud: a stock change takes a SKU to its
threshold -> the inventory stream's watcher publishes LowStock once per crossing -> the bus rule
``low-stock-to-staff`` -> queue ``staff-alerts`` -> ``notifications-send-staff-alert`` -> one email
through SES (the local outbox) to each enabled member of the inventory staff groups, once."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.integration.support import auth, until
from tests.integration.test_back_office_inventory import adjust, stocked

SUBJECT = "Low stock: {sku} has {available} left"


def alerts(cloud: Any, sku: str, to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in cloud.emails(to=to) if sku in m["subject"]]


def test_a_sku_falling_to_its_threshold_emails_each_inventory_staff_member_once(api, cloud, staff_token):
    warehouse = auth(staff_token("warehouse"))
    # Given a disabled member of the warehouse group, and a finance member (not inventory staff)
    gone, _ = cloud.create_user("staff", f"gone-{uuid.uuid4().hex[:8]}@staff.local", groups=("warehouse",))
    cloud.client("cognito-idp").admin_disable_user(UserPoolId=cloud.pools["staff"], Username=gone)
    # And a SKU with 10 units and a threshold of 4
    sku = stocked(api, warehouse, 10, threshold=4)
    # When 6 units are written off, leaving 4
    assert adjust(api, warehouse, sku, -6, reason="damaged in storage").status_code == 201
    # Then the warehouse and catalogue staff get one alert each, saying how low it is
    inventory_staff = [cloud.staff_credentials[group][0] for group in ("warehouse", "catalogue-manager")]
    for to in inventory_staff:
        [mail] = until(lambda to=to: alerts(cloud, sku, to), message=f"the low-stock alert to {to}")
        assert mail["subject"] == SUBJECT.format(sku=sku, available=4)
        assert "4 available (4 on hand, 0 reserved for orders), threshold 4" in mail["text"]
    # And nobody else: not finance, not the admin, not the disabled member
    for group in ("finance", "admin", "order-manager"):
        assert alerts(cloud, sku, cloud.staff_credentials[group][0]) == []
    assert alerts(cloud, sku, gone) == []
    # When it falls further while low, nothing more is sent (LowStock is once per crossing)
    assert adjust(api, warehouse, sku, -1, reason="damaged in storage").status_code == 201
    cloud.wait_for_idle(60)
    time.sleep(1)
    assert all(len(alerts(cloud, sku, to)) == 1 for to in inventory_staff)


def test_a_redelivered_low_stock_event_sends_nothing_again(cloud):
    # Given an alert sent for an event
    sku = f"ALERT{uuid.uuid4().hex[:8].upper()}"
    detail = {
        "event_id": f"lowstock-{uuid.uuid4().hex}",
        "occurred_at": "2026-11-22T10:00:00.000Z",
        "sku": sku,
        "available": 2,
        "on_hand": 5,
        "reserved": 3,
        "threshold": 2,
    }
    event = {"detail-type": "LowStock", "source": "commerce.inventory", "detail": detail}
    record = {"messageId": "m1", "body": __import__("json").dumps(event), "receiptHandle": "r", "attributes": {}}
    cloud.invoke("notifications-send-staff-alert", {"Records": [record | {"eventSource": "aws:sqs"}]})
    to = cloud.staff_credentials["warehouse"][0]
    assert len(alerts(cloud, sku, to)) == 1
    # When the same event arrives again, nothing more is sent
    cloud.invoke("notifications-send-staff-alert", {"Records": [record | {"eventSource": "aws:sqs"}]})
    assert len(alerts(cloud, sku, to)) == 1
