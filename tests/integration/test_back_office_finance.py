"""The finance screens over HTTP against the local cloud (docs/back-office.md, "Finance"): payments and
refunds newest first with their filters (status, date range, order id) and keyset cursor on the
payments table's indexes, one payment in full, the refund list kept with each refund the bank made.
Only HANDLE_PAYMENTS opens them: customers 401, order managers and the warehouse 403."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.support import assert_problem, auth
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_lifecycle import hand_over, payment_becomes, placed, status_becomes
from tests.integration.test_orders_api import new_sku

ROUTES = ["/admin/payments", "/admin/payments/ord_00000000000000000000000000", "/admin/refunds"]


def finance(staff_token: Any) -> dict[str, str]:
    return auth(staff_token("finance"))


def listing(api: Any, staff_token: Any, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, headers=finance(staff_token), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def every_page(api: Any, staff_token: Any, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        page = listing(api, staff_token, path, **params, **({"cursor": cursor} if cursor else {}))
        rows += page[key]
        cursor = page["next_cursor"]
        if not cursor:
            return rows
    raise AssertionError("the cursor never ended")


@pytest.fixture(scope="module")
def orders(api: Any, cloud: Any) -> list[str]:
    """Three orders of one customer, each with an authorised payment, oldest first."""
    customer = str(new_customer(cloud))
    placed_ids = [placed(api, customer, new_sku(5, price=2000 + n)) for n in range(3)]
    for order_id in placed_ids:
        payment_becomes(cloud, order_id, "authorised")
    return placed_ids


@pytest.mark.parametrize("path", ROUTES)
def test_only_staff_who_handle_payments_see_the_finance_routes(api, customer_token, staff_token, path):
    for headers in ({}, auth(customer_token)):
        assert_problem(api.get(path, headers=headers), 401, "UNAUTHORIZED")
    for group in ("warehouse", "order-manager", "customer-service", "catalogue-manager"):
        body = assert_problem(api.get(path, headers=auth(staff_token(group))), 403, "FORBIDDEN")
        assert body["permission"] == "HANDLE_PAYMENTS"
    assert api.get(path.replace("ord_0000", "ord_x000"), headers=finance(staff_token)).status_code in (200, 404)


def test_payments_are_listed_newest_first_through_every_page_and_by_order_status_and_date(api, staff_token, orders):
    today = datetime.now(UTC).date()
    # Every page of today's payments, 2 at a time, holds each payment once, newest first
    rows = every_page(api, staff_token, "/admin/payments", "payments", created_from=today.isoformat(), limit=2)
    listed = [row["order_id"] for row in rows]
    assert len(listed) == len(set(listed))
    assert [o for o in listed if o in orders] == list(reversed(orders))
    created = [row["created_at"] for row in rows]
    assert created == sorted(created, reverse=True)
    # One order's payment
    [row] = listing(api, staff_token, "/admin/payments", order_id=orders[0])["payments"]
    assert row["order_id"] == orders[0] and row["status"] == "authorised" and row["amount"] > 0
    assert row["attempts"] == 1 and row["captured"] == 0 and row["currency"] == "EUR"
    # By status: ours are authorised, not voided
    authorised = every_page(api, staff_token, "/admin/payments", "payments", status="authorised", limit=100)
    assert set(orders) <= {r["order_id"] for r in authorised}
    assert all(r["status"] == "authorised" for r in authorised)
    voided = every_page(api, staff_token, "/admin/payments", "payments", status="voided", limit=100)
    assert not set(orders) & {r["order_id"] for r in voided}
    # A date range that ends before them, or a status they are not in, leaves them out
    yesterday = (today - timedelta(days=1)).isoformat()
    assert listing(api, staff_token, "/admin/payments", created_to=yesterday, order_id=orders[1])["payments"] == []
    assert listing(api, staff_token, "/admin/payments", status="captured", order_id=orders[1])["payments"] == []
    # A date-time range around the second payment only
    second = row_of(api, staff_token, orders[1])
    around = listing(
        api, staff_token, "/admin/payments", created_from=second["created_at"], created_to=second["created_at"]
    )["payments"]
    assert orders[1] in [r["order_id"] for r in around] and orders[0] not in [r["order_id"] for r in around]


def row_of(api: Any, staff_token: Any, order_id: str) -> dict[str, Any]:
    [row] = listing(api, staff_token, "/admin/payments", order_id=order_id)["payments"]
    return row


def test_a_payment_in_full_and_an_unknown_one(api, staff_token, orders):
    got = listing(api, staff_token, f"/admin/payments/{orders[2]}")
    assert got["order_id"] == orders[2] and got["status"] == "authorised"
    assert [a["outcome"] for a in got["attempts"]] == ["authorised"] and got["history"]
    assert "task_token" not in got
    missing = api.get("/admin/payments/ord_nothing_here", headers=finance(staff_token))
    assert_problem(missing, 404, "PAYMENT_NOT_FOUND")


def test_refunds_are_listed_as_the_bank_makes_them(api, cloud, staff_token):
    customer = str(new_customer(cloud))
    order_id = placed(api, customer, new_sku(3, price=3000))
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert hand_over(cloud, order_id) == 200
    status_becomes(api, customer, order_id, "shipped")
    assert listing(api, staff_token, "/admin/refunds", order_id=order_id)["refunds"] == []
    # When finance refunds part of it, twice
    for amount in (500, 700):
        made = api.post(
            f"/admin/orders/{order_id}/refunds",
            headers=finance(staff_token) | {"Idempotency-Key": f"fin-{uuid.uuid4().hex}"},
            json={"amount": amount, "reason": "Damaged"},
        )
        assert made.status_code == 201, made.text
    # Then both are listed, newest first, applied, with the bank's reference
    refunds = listing(api, staff_token, "/admin/refunds", order_id=order_id)["refunds"]
    assert [(r["refund_id"], r["amount"], r["state"]) for r in refunds] == [
        (f"{order_id}:{refunds[0]['number']}", 700, "applied"),
        (f"{order_id}:{refunds[1]['number']}", 500, "applied"),
    ]
    assert refunds[0]["number"] > refunds[1]["number"] and all(r["reference"] for r in refunds)
    # And in the newest refunds of today, by state, through the cursor
    today = datetime.now(UTC).date().isoformat()
    applied = every_page(api, staff_token, "/admin/refunds", "refunds", status="applied", created_from=today, limit=1)
    assert [r["amount"] for r in applied if r["order_id"] == order_id] == [700, 500]
    assert listing(api, staff_token, "/admin/refunds", status="refused", order_id=order_id)["refunds"] == []
    # And the payment says so
    assert payment_becomes(cloud, order_id, "captured")["refunded"] == 1200
    assert row_of(api, staff_token, order_id)["refunded"] == 1200


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/admin/payments", {"status": "lost"}, "INVALID_PARAMETER"),
        ("/admin/refunds", {"status": "authorised"}, "INVALID_PARAMETER"),
        ("/admin/payments", {"created_from": "yesterday"}, "INVALID_PARAMETER"),
        ("/admin/refunds", {"created_from": "2026-02-02", "created_to": "2026-02-01"}, "INVALID_PARAMETER"),
        ("/admin/payments", {"limit": 0}, "INVALID_PARAMETER"),
        ("/admin/payments", {"limit": 101}, "INVALID_PARAMETER"),
        ("/admin/payments", {"order_id": "not an id"}, "INVALID_PARAMETER"),
        ("/admin/payments", {"cursor": "garbage"}, "INVALID_CURSOR"),
        ("/admin/payments", {"sort": "amount"}, "UNKNOWN_PARAMETER"),
    ],
)
def test_bad_listing_input_is_refused_with_a_stable_code(api, staff_token, path, params, code):
    assert_problem(api.get(path, headers=finance(staff_token), params=params), 422, code)


def test_a_cursor_only_continues_the_listing_it_came_from(api, staff_token, orders):
    page = listing(api, staff_token, "/admin/payments", limit=1)
    assert page["next_cursor"]
    other = api.get(
        "/admin/payments", headers=finance(staff_token), params={"status": "authorised", "cursor": page["next_cursor"]}
    )
    assert_problem(other, 422, "INVALID_CURSOR")
    refunds = api.get("/admin/refunds", headers=finance(staff_token), params={"cursor": page["next_cursor"]})
    assert_problem(refunds, 422, "INVALID_CURSOR")
