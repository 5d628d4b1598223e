"""The back office's orders screens over HTTP against the local cloud, with the real order
workflow and the warehouse simulator in manual mode (docs/back-office.md): the listing's filters and
cursor on the staff indexes, one order in full, hold and release around the workflow's Dispatch
step, notes, the shipping address before dispatch, resending an email, and refunds that never
happen twice. Every route refuses a customer (401) and staff without its permission (403), and
bad input changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.integration.support import assert_problem, auth, until
from tests.integration.test_audit_log import history
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_lifecycle import (
    LARGE,
    SLOW,
    cancel,
    dispatched,
    hand_over,
    payment_becomes,
    placed,
    status_becomes,
)
from tests.integration.test_orders_api import NL_ADDRESS, level, new_sku, place, quote

ROUTES = [
    ("GET", "/admin/orders", "MANAGE_ORDERS"),
    ("GET", "/admin/orders/{id}", "MANAGE_ORDERS"),
    ("POST", "/admin/orders/{id}/hold", "MANAGE_ORDERS"),
    ("POST", "/admin/orders/{id}/release", "MANAGE_ORDERS"),
    ("POST", "/admin/orders/{id}/notes", "MANAGE_ORDERS"),
    ("PUT", "/admin/orders/{id}/shipping-address", "MANAGE_ORDERS"),
    ("POST", "/admin/orders/{id}/emails/{id}:2/resend", "MANAGE_ORDERS"),
    ("POST", "/admin/orders/{id}/refunds", "HANDLE_PAYMENTS"),
]


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


def staff(staff_token: Any, group: str = "order-manager") -> dict[str, str]:
    return auth(staff_token(group))


def order_item(cloud: Any, order_id: str) -> dict[str, Any]:
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("orders"),
        Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
        ConsistentRead=True,
    )["Item"]
    return {k: next(iter(v.values())) for k, v in item.items()}


def admin_detail(api: Any, staff_token: Any, order_id: str) -> dict[str, Any]:
    response = api.get(f"/admin/orders/{order_id}", headers=staff(staff_token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def listed(api: Any, staff_token: Any, **params: Any) -> dict[str, Any]:
    response = api.get("/admin/orders", headers=staff(staff_token), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(page: dict[str, Any]) -> list[str]:
    return [row["order_id"] for row in page["orders"]]


def ordered(api: Any, customer: str, sku: str, quantity: int = 1) -> str:
    """An order of exactly this line (the customer's cart emptied first)."""
    for line in api.get("/me/cart", headers=auth(customer)).json()["lines"]:
        api.delete(f"/me/cart/items/{line['sku']}", headers=auth(customer))
    response = place(api, customer, quote(api, customer, sku, quantity)["quote_token"])
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


def in_review(api: Any, customer: str, sku: str) -> str:
    order_id = placed(api, customer, sku)
    status_becomes(api, customer, order_id, "in_review")
    return order_id


# ---- who may call ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_each_route_refuses_customers_and_staff_without_its_permission(
    api, customer_token, staff_token, method, path, permission
):
    url = path.replace("{id}", "ord_00000000000000000000000000")
    for headers in ({}, auth(customer_token)):
        assert_problem(api.request(method, url, headers=headers, json={}), 401, "UNAUTHORIZED")
    body = assert_problem(api.request(method, url, headers=staff(staff_token, "warehouse"), json={}), 403, "FORBIDDEN")
    assert body["permission"] == permission
    if permission == "HANDLE_PAYMENTS":  # order managers run orders, finance moves money
        assert_problem(api.request(method, url, headers=staff(staff_token), json={}), 403, "FORBIDDEN")


# ---- the listing -------------------------------------------------------------------------------------
def test_the_listing_filters_by_customer_email_status_total_and_date_newest_first_with_a_cursor(
    api, cloud, customer, staff_token
):
    cheap, dear = new_sku(10, price=1000), new_sku(3, price=LARGE)
    first = ordered(api, customer, cheap)
    second = ordered(api, customer, cheap, 2)
    flagged = ordered(api, customer, dear)
    status_becomes(api, customer, first, "ready_for_fulfilment")
    status_becomes(api, customer, second, "ready_for_fulfilment")
    status_becomes(api, customer, flagged, "in_review")
    item = order_item(cloud, first)
    who, email = item["customer_id"], item["contact_email"]

    page = listed(api, staff_token, customer_id=who)
    assert ids(page) == [flagged, second, first] and page["next_cursor"] is None  # newest first
    row = page["orders"][0]
    assert row["status"] == "in_review" and row["flagged"] and row["payment_status"] == "authorised"
    assert row["contact_email"] == email and row["total"] == LARGE and not row["held"]

    walked, cursor = [], None  # one order a page, through the cursor
    while True:
        page = listed(api, staff_token, customer_id=who, limit=1, **({"cursor": cursor} if cursor else {}))
        walked += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [flagged, second, first]

    assert ids(listed(api, staff_token, q=email)) == [flagged, second, first]
    assert ids(listed(api, staff_token, q=email.upper())) == [flagged, second, first]
    assert ids(listed(api, staff_token, q=second)) == [second]
    assert ids(listed(api, staff_token, q=second, status="in_review")) == []
    assert ids(listed(api, staff_token, q=email, min_total=LARGE)) == [flagged]
    assert ids(listed(api, staff_token, q=email, max_total=2500)) == [second, first]
    assert ids(listed(api, staff_token, customer_id=who, status="ready_for_fulfilment")) == [second, first]
    assert ids(listed(api, staff_token, customer_id=who, flagged="false")) == [second, first]
    assert ids(listed(api, staff_token, customer_id=who, payment_status="captured")) == []
    created = item["created_at"]
    assert ids(listed(api, staff_token, customer_id=who, created_to=created)) == [first]
    assert ids(listed(api, staff_token, customer_id=who, created_from=created[:10], created_to=created[:10])) == [
        flagged,
        second,
        first,
    ]
    # the indexes that drive the other filters: status, flagged, every order
    assert flagged in ids(listed(api, staff_token, status="in_review", created_from=created, limit=100))
    assert flagged in ids(listed(api, staff_token, flagged="true", created_from=created, limit=100))
    everything = ids(listed(api, staff_token, created_from=created, limit=100))
    assert everything.index(flagged) < everything.index(second) < everything.index(first)


def test_bad_listing_input_is_refused_with_a_stable_code(api, staff_token):
    for params, code in [
        ({"status": "lost"}, "INVALID_PARAMETER"),
        ({"created_from": "last week"}, "INVALID_PARAMETER"),
        ({"q": "hello world"}, "INVALID_PARAMETER"),
        ({"payment_status": "stolen"}, "INVALID_PARAMETER"),
        ({"limit": "0"}, "INVALID_PARAMETER"),
        ({"min_total": "-1"}, "INVALID_PARAMETER"),
        ({"cursor": "not-a-cursor"}, "INVALID_CURSOR"),
        ({"colour": "red"}, "UNKNOWN_PARAMETER"),
    ]:
        response = api.get("/admin/orders", headers=staff(staff_token), params=params)
        status = 400 if code == "BAD_REQUEST" else 422
        assert_problem(response, status, code)
    page = listed(api, staff_token, limit=1)
    if page["next_cursor"]:  # a cursor is for the filters it was made with
        other = api.get(
            "/admin/orders", headers=staff(staff_token), params={"cursor": page["next_cursor"], "flagged": "true"}
        )
        assert_problem(other, 422, "INVALID_CURSOR")
    assert_problem(api.get("/admin/orders/ord_nope", headers=staff(staff_token)), 404, "ORDER_NOT_FOUND")


# ---- one order, hold and release ---------------------------------------------------------------------
def test_a_held_order_is_not_dispatched_until_released_and_its_detail_tells_the_story(
    api, cloud, customer, staff_token
):
    sku = new_sku(3, price=LARGE)
    order_id = in_review(api, customer, sku)
    path = f"/admin/orders/{order_id}"
    assert_problem(api.post(f"{path}/hold", headers=staff(staff_token), json={}), 422, "INVALID_BODY")
    assert_problem(api.post(f"{path}/release", headers=staff(staff_token)), 409, "ORDER_NOT_HELD")
    held = api.post(f"{path}/hold", headers=staff(staff_token), json={"reason": "Name does not match the card"})
    assert held.status_code == 200, held.text
    assert held.json()["hold"]["reason"] == "Name does not match the card"
    assert_problem(
        api.post(f"{path}/hold", headers=staff(staff_token), json={"reason": "again"}), 409, "ORDER_ALREADY_HELD"
    )
    assert order_id in ids(listed(api, staff_token, q=order_id))
    assert listed(api, staff_token, q=order_id)["orders"][0]["held"]

    assert api.post(f"{path}/approve", headers=staff(staff_token)).status_code == 202  # the workflow goes on
    until(lambda: order_item(cloud, order_id).get("task_token"), SLOW, "the Dispatch task's token stored")
    assert order_item(cloud, order_id)["status"] == "ready_for_fulfilment"
    assert order_id not in cloud.warehouse.dispatches  # held: the warehouse was asked nothing
    customer_view = api.get(f"/me/orders/{order_id}", headers=auth(customer)).json()
    assert "hold" not in customer_view["order"]  # the reason is internal

    released = api.post(f"{path}/release", headers=staff(staff_token))
    assert released.status_code == 200 and released.json()["hold"] is None
    dispatched(cloud, order_id)  # the queued request reached the warehouse
    assert hand_over(cloud, order_id) == 200
    status_becomes(api, customer, order_id, "shipped")
    assert_problem(
        api.post(f"{path}/hold", headers=staff(staff_token), json={"reason": "late"}), 409, "ORDER_NOT_CHANGEABLE"
    )

    got = admin_detail(api, staff_token, order_id)
    types = [e["type"] for e in got["timeline"]]
    assert types.index("OrderHeld") < types.index("OrderApproved") < types.index("OrderReleased")
    assert types.index("OrderReleased") < types.index("OrderDispatchRequested")
    assert got["payment"]["status"] == "captured" and got["payment"]["captured"] == LARGE
    assert got["shipment"]["status"] == "handed_to_carrier" and got["hold"] is None
    assert "task_token" not in got["order"]
    audit = history(cloud, "orders", order_id)
    changes = [(json.loads(e["before"]), json.loads(e["after"])) for e in audit if e["action"].endswith("/hold")]
    assert changes == [({"hold": None}, {"hold": json.loads(json.dumps(held.json()["hold"]))})]


def test_hold_and_a_new_address_are_refused_once_the_warehouse_has_the_request(api, cloud, customer, staff_token):
    order_id = placed(api, customer, new_sku(3))
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    dispatched(cloud, order_id)
    path = f"/admin/orders/{order_id}"
    body = assert_problem(
        api.post(f"{path}/hold", headers=staff(staff_token), json={"reason": "too late"}),
        409,
        "DISPATCH_ALREADY_REQUESTED",
    )
    assert body["shipment_status"] == "requested"
    moved = NL_ADDRESS | {"line1": "Dam 2"}
    assert_problem(
        api.put(f"{path}/shipping-address", headers=staff(staff_token), json=moved), 409, "DISPATCH_ALREADY_REQUESTED"
    )
    assert admin_detail(api, staff_token, order_id)["order"]["shipping_address"]["line1"] == "Dam 1"


def test_a_held_order_can_still_be_cancelled_and_its_stock_comes_back(api, cloud, customer, staff_token):
    sku = new_sku(3, price=LARGE)
    order_id = in_review(api, customer, sku)
    path = f"/admin/orders/{order_id}"
    assert api.post(f"{path}/hold", headers=staff(staff_token), json={"reason": "Wait"}).status_code == 200
    assert api.post(f"{path}/approve", headers=staff(staff_token)).status_code == 202
    until(lambda: order_item(cloud, order_id).get("task_token"), SLOW, "the Dispatch task's token stored")
    assert cancel(api, staff_token("order-manager"), order_id, staff=True).status_code == 202
    status_becomes(api, customer, order_id, "cancelled")
    payment_becomes(cloud, order_id, "voided")
    assert level(sku)["reserved"] == 0 and order_id not in cloud.warehouse.dispatches


# ---- notes, the address, emails -------------------------------------------------------------------------
def test_notes_and_a_new_address_before_dispatch_reach_the_detail_and_the_warehouse(api, cloud, customer, staff_token):
    order_id = in_review(api, customer, new_sku(3, price=LARGE))
    path = f"/admin/orders/{order_id}"
    assert_problem(api.post(f"{path}/notes", headers=staff(staff_token), json={"text": ""}), 422, "INVALID_BODY")
    assert_problem(
        api.post("/admin/orders/ord_nope/notes", headers=staff(staff_token), json={"text": "x"}), 404, "ORDER_NOT_FOUND"
    )
    note = api.post(f"{path}/notes", headers=staff(staff_token), json={"text": "Customer phoned: leave with neighbour"})
    assert note.status_code == 201, note.text
    assert note.json()["by"].startswith("staff:") and note.json()["by_email"]

    abroad = NL_ADDRESS | {"country": "BE"}
    assert_problem(
        api.put(f"{path}/shipping-address", headers=staff(staff_token), json=abroad), 422, "SHIPPING_COUNTRY_CHANGE"
    )
    assert_problem(
        api.put(f"{path}/shipping-address", headers=staff(staff_token), json={"line1": "x"}), 422, "INVALID_BODY"
    )
    moved = NL_ADDRESS | {"line1": "Prinsengracht 263"}
    changed = api.put(f"{path}/shipping-address", headers=staff(staff_token), json=moved)
    assert changed.status_code == 200, changed.text
    assert changed.json()["order"]["shipping_address"]["line1"] == "Prinsengracht 263"

    assert api.post(f"{path}/approve", headers=staff(staff_token)).status_code == 202
    assert dispatched(cloud, order_id).ship_to["line1"] == "Prinsengracht 263"
    got = admin_detail(api, staff_token, order_id)
    assert [n["text"] for n in got["notes"]] == ["Customer phoned: leave with neighbour"]
    assert "OrderShippingAddressChanged" in [e["type"] for e in got["timeline"]]
    customer_view = api.get(f"/me/orders/{order_id}", headers=auth(customer)).json()
    assert "Customer phoned" not in json.dumps(customer_view)  # notes are internal


def test_staff_resend_the_email_an_event_sent_and_it_is_recorded(api, cloud, customer, staff_token):
    order_id = placed(api, customer, new_sku(3))
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    email = order_item(cloud, order_id)["contact_email"]
    confirmation = until(
        lambda: next((e for e in admin_detail(api, staff_token, order_id)["emails"]), None), SLOW, "the confirmation"
    )
    assert confirmation["template"] == "order_confirmation"
    before = len(cloud.emails(to=email))
    path = f"/admin/orders/{order_id}/emails"
    assert_problem(api.post(f"{path}/{order_id}:99/resend", headers=staff(staff_token)), 404, "EMAIL_NOT_FOUND")
    resent = api.post(f"{path}/{confirmation['event_id']}/resend", headers=staff(staff_token))
    assert resent.status_code == 200, resent.text
    assert resent.json()["template"] == "order_confirmation" and resent.json()["message_id"]
    mails = cloud.emails(to=email)
    assert len(mails) == before + 1 and mails[0]["subject"] == confirmation["subject"]
    got = admin_detail(api, staff_token, order_id)
    resends = got["emails"][0]["resends"]
    assert len(resends) == 1 and resends[0]["message_id"] == resent.json()["message_id"]
    assert resends[0]["by"].startswith("staff:")
    dispatched(cloud, order_id)


# ---- refunds ------------------------------------------------------------------------------------------------
def refund(api: Any, staff_token: Any, order_id: str, amount: int, key: str | None, group: str = "finance") -> Any:
    headers = staff(staff_token, group) | ({"Idempotency-Key": key} if key else {})
    return api.post(f"/admin/orders/{order_id}/refunds", headers=headers, json={"amount": amount, "reason": "Damaged"})


def test_a_refund_is_made_once_per_key_and_never_beyond_what_was_captured(api, cloud, customer, staff_token):
    order_id = placed(api, customer, new_sku(3, price=3000))
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    before_capture = refund(api, staff_token, order_id, 100, f"early-{uuid.uuid4().hex}")
    assert_problem(before_capture, 409, "NOTHING_TO_REFUND")
    assert hand_over(cloud, order_id) == 200
    total = status_becomes(api, customer, order_id, "shipped")["order"]["total"]

    assert_problem(refund(api, staff_token, order_id, 1000, None), 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert_problem(refund(api, staff_token, order_id, 0, "key-zero-0001"), 422, "INVALID_BODY")
    too_much = assert_problem(
        refund(api, staff_token, order_id, total + 1, "key-much-0001"), 409, "REFUND_EXCEEDS_REFUNDABLE"
    )
    assert too_much["refundable"] == total
    key = f"refund-{uuid.uuid4().hex}"
    first = refund(api, staff_token, order_id, 1000, key)
    assert first.status_code == 201, first.text
    assert first.json() | {} == {
        "order_id": order_id,
        "refund_number": 1,
        "amount": 1000,
        "currency": first.json()["currency"],
        "state": "refunded",
        "refunded_total": 1000,
        "refundable": total - 1000,
    }
    again = refund(api, staff_token, order_id, 1000, key)  # a retry: the same refund, nothing more
    assert again.status_code == 200 and again.json()["refund_number"] == 1
    assert_problem(refund(api, staff_token, order_id, 999, key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert payment_becomes(cloud, order_id, "captured")["refunded"] == 1000

    got = admin_detail(api, staff_token, order_id)
    assert got["payment"]["refunded"] == 1000 and got["order"]["refunded"] == 1000
    assert [(r["refund_number"], r["amount"], r["state"]) for r in got["refunds"]] == [(1, 1000, "refunded")]
    assert [e["detail"]["refund_number"] for e in got["timeline"] if e["type"] == "OrderRefunded"] == [1]
    assert got["payment_status"] == "partially_refunded"
    assert ids(listed(api, staff_token, q=order_id, payment_status="partially_refunded")) == [order_id]

    rest = refund(api, staff_token, order_id, total - 1000, f"refund-{uuid.uuid4().hex}")
    assert rest.status_code == 201 and rest.json()["refund_number"] == 2 and rest.json()["refundable"] == 0
    payment_becomes(cloud, order_id, "refunded")
    assert ids(listed(api, staff_token, q=order_id, payment_status="refunded")) == [order_id]
    assert_problem(refund(api, staff_token, order_id, 1, f"refund-{uuid.uuid4().hex}"), 409, "NOTHING_TO_REFUND")
    audit = [json.loads(e["after"]) for e in history(cloud, "orders", order_id) if e["action"].endswith("/refunds")]
    assert [a["refund_number"] for a in audit][:2] == [1, 1] and audit[-1]["refunded"] == total
