"""Carts over HTTP against the local cloud: anonymous and customer carts, re-pricing and stock
notices, limits and bad input, expiry, concurrency, merge, and cross-customer refusals."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.adapters.catalog_dynamo import DynamoProductRepository
from commerce.adapters.dynamo import marshal
from commerce.catalog.models import ProductInput
from commerce.common.clock import iso
from tests.integration.support import assert_problem, auth

PASSWORD = "Cart-Test-Pw1!"


def new_customer(cloud) -> str:
    email = f"cart-{uuid.uuid4().hex[:10]}@example.com"
    cloud.create_user("customers", email, PASSWORD)
    return cloud.sign_in("customers", email, PASSWORD)


def stock(sku: str, quantity: int) -> None:
    """Set the available stock of a SKU (in-process, through the inventory service)."""
    from commerce.wiring.inventory import inventory_service

    service = inventory_service()
    current = service.availability([sku])[sku].available
    if quantity != current:
        service.adjust(sku, "main", quantity - current)


def product(prices: dict[str, int], status: str = "active", weight: int = 400) -> dict[str, Any]:
    """A test product written straight into the catalogue table; returns {sku: price} keyed data."""
    suffix = uuid.uuid4().hex[:8].upper()
    variants = [
        {"sku": f"CT{suffix}-{name}", "name": name, "price": price, "weight_grams": weight}
        for name, price in prices.items()
    ]
    data = {
        "product_id": f"cart-test-{suffix.lower()}",
        "name": f"Cart Test {suffix}",
        "brand": "Test",
        "category": "test",
        "variants": variants,
        "status": status,
    }
    save_product(data)
    return data


def save_product(data: dict[str, Any]) -> None:
    DynamoProductRepository(os.environ["CATALOG_TABLE"]).save(ProductInput.model_validate(data), iso())


@pytest.fixture
def cart(api) -> str:
    response = api.post("/carts")
    assert response.status_code == 201, response.text
    return str(response.json()["cart_id"])


@pytest.fixture
def skus(cloud) -> list[str]:
    data = product({"A": 1999, "B": 4550, "C": 99})
    result = [v["sku"] for v in data["variants"]]
    for sku in result:
        stock(sku, 20)
    return result


# ---- anonymous carts ---------------------------------------------------------------------------
def test_a_new_cart_is_empty_with_an_unguessable_id_and_an_expiry(api, cart):
    body = api.get(f"/carts/{cart}").json()
    assert len(cart) == 32 and body["cart_id"] == cart
    assert body["lines"] == [] and body["subtotal"] == 0 and body["currency"] == "EUR"
    assert body["expires_at"] > 0


def test_add_change_and_remove_lines_with_server_prices(api, cart, skus):
    a, b, _ = skus
    assert api.post(f"/carts/{cart}/items", json={"sku": a, "quantity": 2}).status_code == 200
    body = api.post(f"/carts/{cart}/items", json={"sku": a, "quantity": 1}).json()
    assert [(line["sku"], line["quantity"], line["unit_price"], line["line_total"]) for line in body["lines"]] == [
        (a, 3, 1999, 5997)
    ]
    body = api.post(f"/carts/{cart}/items", json={"sku": b}).json()
    assert body["subtotal"] == 5997 + 4550 and body["item_count"] == 4
    body = api.put(f"/carts/{cart}/items/{a}", json={"quantity": 5}).json()
    assert body["lines"][0]["quantity"] == 5
    body = api.put(f"/carts/{cart}/items/{a}", json={"quantity": 0}).json()
    assert [line["sku"] for line in body["lines"]] == [b]
    assert api.delete(f"/carts/{cart}/items/{b}").json()["lines"] == []
    assert api.delete(f"/carts/{cart}/items/{b}").status_code == 200  # idempotent
    assert_problem(api.put(f"/carts/{cart}/items/{b}", json={"quantity": 1}), 404, "LINE_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "X", "quantity": 1},
        {"sku": "AUR-BLA", "quantity": 0},
        {"sku": "AUR-BLA", "quantity": -1},
        {"sku": "AUR-BLA", "quantity": 11},
        {"sku": "AUR-BLA", "quantity": 10**15},
        {"sku": "AUR-BLA", "quantity": "2"},
        {"sku": "AUR-BLA", "quantity": 1.5},
        {"sku": "AUR-BLA", "quantity": True},
        {"sku": "AUR-BLA", "quantity": 1, "unit_price": 1},
        {"sku": 42},
        ["AUR-BLA"],
    ],
)
def test_bad_items_are_refused(api, cart, body):
    assert_problem(api.post(f"/carts/{cart}/items", json=body), 422, "INVALID_BODY")
    assert api.get(f"/carts/{cart}").json()["lines"] == []


def test_malformed_oversized_and_unknown_input(api, cart):
    headers = {"Content-Type": "application/json"}
    assert_problem(api.post(f"/carts/{cart}/items", data='{"sku": "AU', headers=headers), 400, "MALFORMED_JSON")
    huge = '{"sku": "AUR-BLA", "quantity": 1, "pad": "' + "x" * 300_000 + '"}'
    assert_problem(api.post(f"/carts/{cart}/items", data=huge, headers=headers), 413, "BODY_TOO_LARGE")
    body = assert_problem(api.post(f"/carts/{cart}/items", json={"sku": "NO-SUCH-SKU"}), 404, "UNKNOWN_SKU")
    assert body["sku"] == "NO-SUCH-SKU"
    body = assert_problem(api.get(f"/carts/{cart}", params={"debug": "1"}), 422, "UNKNOWN_PARAMETER")
    assert body["parameters"] == ["debug"]
    assert_problem(api.put(f"/carts/{cart}/items/not a sku", json={"quantity": 1}), 422, "INVALID_PARAMETER")
    assert_problem(api.put(f"/carts/{cart}/items/AUR-BLA", json={"quantity": -1}), 422, "INVALID_BODY")
    assert_problem(api.get("/carts/no-such-cart"), 404, "CART_NOT_FOUND")
    assert_problem(api.post("/carts/no-such-cart/items", json={"sku": "AUR-BLA"}), 404, "CART_NOT_FOUND")


def test_limits_and_stock_are_enforced_on_add(api, cart, skus):
    a, b, _ = skus
    api.post(f"/carts/{cart}/items", json={"sku": a, "quantity": 10})
    body = assert_problem(api.post(f"/carts/{cart}/items", json={"sku": a}), 422, "QUANTITY_LIMIT")
    assert body["max_quantity"] == 10
    stock(b, 2)
    body = assert_problem(api.post(f"/carts/{cart}/items", json={"sku": b, "quantity": 3}), 409, "INSUFFICIENT_STOCK")
    assert body["available"] == 2
    retired = product({"R": 500}, status="retired")["variants"][0]["sku"]
    stock(retired, 5)
    assert_problem(api.post(f"/carts/{cart}/items", json={"sku": retired}), 409, "PRODUCT_UNAVAILABLE")


def test_every_read_reprices_and_rechecks_stock(api, cart):
    data = product({"A": 1000, "B": 2000})
    a, b = (v["sku"] for v in data["variants"])
    stock(a, 10)
    stock(b, 10)
    api.post(f"/carts/{cart}/items", json={"sku": a, "quantity": 2})
    api.post(f"/carts/{cart}/items", json={"sku": b, "quantity": 3})
    data["variants"][0]["price"] = 900
    save_product(data)
    stock(b, 1)
    body = api.get(f"/carts/{cart}").json()
    notices = {(n["code"], n["sku"]): n for n in body["notices"]}
    assert notices[("PRICE_CHANGED", a)]["old_price"] == 1000 and notices[("PRICE_CHANGED", a)]["new_price"] == 900
    assert notices[("QUANTITY_REDUCED", b)]["available"] == 1
    lines = {line["sku"]: line for line in body["lines"]}
    assert lines[a]["line_total"] == 1800 and lines[b]["quantity"] == 3 and not lines[b]["purchasable"]
    stock(b, 0)
    assert ("OUT_OF_STOCK", b) in {(n["code"], n["sku"]) for n in api.get(f"/carts/{cart}").json()["notices"]}
    data["status"] = "retired"
    save_product(data)
    body = api.get(f"/carts/{cart}").json()
    assert {n["code"] for n in body["notices"]} == {"PRODUCT_UNAVAILABLE"} and body["subtotal"] == 0


def test_an_expired_cart_not_yet_deleted_is_gone(api, cloud, cart):
    table = os.environ["CARTS_TABLE"]
    cloud.client("dynamodb").update_item(
        TableName=table,
        Key=marshal({"pk": f"CART#{cart}", "sk": "CART"}),
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues=marshal({":past": 1_000_000}),
    )
    assert_problem(api.get(f"/carts/{cart}"), 404, "CART_NOT_FOUND")
    assert_problem(api.post(f"/carts/{cart}/items", json={"sku": "AUR-BLA"}), 404, "CART_NOT_FOUND")


def test_concurrent_adds_do_not_lose_lines(api, cart):
    data = product({f"V{i}": 100 + i for i in range(8)})
    skus = [v["sku"] for v in data["variants"]]
    for sku in skus:
        stock(sku, 5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda s: api.post(f"/carts/{cart}/items", json={"sku": s}).status_code, skus))
    assert all(status in (200, 409) for status in statuses), statuses
    added = {line["sku"] for line in api.get(f"/carts/{cart}").json()["lines"]}
    assert added == {s for s, status in zip(skus, statuses, strict=True) if status == 200}
    assert statuses.count(200) >= 1


# ---- the customer's cart -----------------------------------------------------------------------
def test_the_customer_cart_needs_a_token_and_is_created_lazily(api, cloud, skus):
    assert api.get("/me/cart").status_code == 401
    h = auth(new_customer(cloud))
    assert api.get("/me/cart", headers=h).json()["lines"] == []
    body = api.post("/me/cart/items", headers=h, json={"sku": skus[0], "quantity": 2}).json()
    assert body["lines"][0]["quantity"] == 2
    assert api.put(f"/me/cart/items/{skus[0]}", headers=h, json={"quantity": 4}).json()["lines"][0]["quantity"] == 4
    assert api.delete(f"/me/cart/items/{skus[0]}", headers=h).json()["lines"] == []
    assert_problem(api.get("/me/cart", headers=h, params={"x": "1"}), 422, "UNKNOWN_PARAMETER")


def test_merge_moves_lines_caps_quantities_and_is_idempotent(api, cloud, cart, skus):
    a, b, _ = skus
    h = auth(new_customer(cloud))
    api.post("/me/cart/items", headers=h, json={"sku": a, "quantity": 7})
    api.post(f"/carts/{cart}/items", json={"sku": a, "quantity": 5})
    api.post(f"/carts/{cart}/items", json={"sku": b, "quantity": 1})
    merged = api.post("/me/cart/merge", headers=h, json={"cart_id": cart})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {a: 10, b: 1}
    assert [(n["code"], n["sku"]) for n in body["notices"]] == [("QUANTITY_CAPPED", a)]
    again = api.post("/me/cart/merge", headers=h, json={"cart_id": cart}).json()
    assert {line["sku"]: line["quantity"] for line in again["lines"]} == {a: 10, b: 1}
    assert_problem(api.get(f"/carts/{cart}"), 404, "CART_NOT_FOUND")
    other = auth(new_customer(cloud))
    assert_problem(api.post("/me/cart/merge", headers=other, json={"cart_id": cart}), 404, "CART_NOT_FOUND")
    assert_problem(api.post("/me/cart/merge", headers=h, json={"cart_id": 7}), 422, "INVALID_BODY")


def test_customers_cannot_reach_each_others_carts(api, cloud, skus):
    a_token, b_token = new_customer(cloud), new_customer(cloud)
    b_cart = api.post("/me/cart/items", headers=auth(b_token), json={"sku": skus[0], "quantity": 3}).json()
    b_id = b_cart["cart_id"]
    for response in (
        api.get(f"/carts/{b_id}"),
        api.get(f"/carts/{b_id}", headers=auth(a_token)),
        api.post(f"/carts/{b_id}/items", json={"sku": skus[1]}),
        api.put(f"/carts/{b_id}/items/{skus[0]}", json={"quantity": 1}),
        api.delete(f"/carts/{b_id}/items/{skus[0]}"),
        api.post("/me/cart/merge", headers=auth(a_token), json={"cart_id": b_id}),
    ):
        assert_problem(response, 404, "CART_NOT_FOUND")
    after = api.get("/me/cart", headers=auth(b_token)).json()
    assert [(line["sku"], line["quantity"]) for line in after["lines"]] == [(skus[0], 3)]
    assert api.get("/me/cart", headers=auth(a_token)).json()["lines"] == []


def test_a_stale_write_is_refused_by_the_store(api, cloud, cart):
    from commerce.adapters.carts_dynamo import DynamoCartRepository
    from commerce.carts.errors import VersionConflict

    repository = DynamoCartRepository(os.environ["CARTS_TABLE"])
    stored = repository.get(cart)
    assert stored is not None
    newer = stored.model_copy(update={"version": stored.version + 1})
    repository.save(newer, stored.version)
    with pytest.raises(VersionConflict):
        repository.save(newer.model_copy(update={"version": stored.version + 1}), stored.version)  # lost race
    with pytest.raises(VersionConflict):
        repository.save(stored, 0)  # "create" over an existing cart
