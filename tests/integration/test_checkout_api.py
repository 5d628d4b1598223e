"""Checkout over HTTP against the local cloud: delivery methods, and quotes computed (and stored)
on the server for anonymous and customer carts, with the refusals."""

from __future__ import annotations

import os
from typing import Any

import pytest

from commerce.adapters.dynamo import marshal, unmarshal
from tests.integration.support import assert_problem, auth
from tests.integration.test_cart_api import new_customer, product, stock

NL_ADDRESS = {"name": "Ada Lovelace", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012JS", "country": "NL"}
DE_ADDRESS = {**NL_ADDRESS, "city": "Berlin", "postal_code": "10115", "country": "DE"}


def order(address: dict[str, Any] = NL_ADDRESS, **extra: Any) -> dict[str, Any]:
    return {"shipping_address": address, "delivery_method": "standard", "payment_method": "card", **extra}


@pytest.fixture
def sku(cloud) -> str:
    data = product({"Q": 1999}, weight=300)
    result = str(data["variants"][0]["sku"])
    stock(result, 20)
    return result


@pytest.fixture
def cart(api, sku) -> str:
    cart_id = str(api.post("/carts").json()["cart_id"])
    assert api.post(f"/carts/{cart_id}/items", json={"sku": sku, "quantity": 2}).status_code == 200
    return cart_id


def test_delivery_methods_depend_on_the_destination(api):
    nl = api.get("/delivery-methods", params={"country": "NL"}).json()
    assert nl["zone"] == "domestic" and [m["method_id"] for m in nl["methods"]] == ["standard", "express", "pickup"]
    standard = nl["methods"][0]
    assert standard["free_above"] == 5000 and standard["fee_bands"][0] == {"max_weight_grams": 2000, "fee": 495}
    de = api.get("/delivery-methods", params={"country": "DE"}).json()
    assert de["zone"] == "eu" and [m["method_id"] for m in de["methods"]] == ["standard", "express"]
    us = api.get("/delivery-methods", params={"country": "US"}).json()
    assert us["zone"] == "world" and us["methods"][0]["free_above"] is None
    assert_problem(api.get("/delivery-methods"), 422, "INVALID_PARAMETER")
    assert_problem(api.get("/delivery-methods", params={"country": "nl"}), 422, "INVALID_PARAMETER")
    body = assert_problem(api.get("/delivery-methods", params={"country": "NL", "x": "1"}), 422, "UNKNOWN_PARAMETER")
    assert body["parameters"] == ["x"]


def test_an_anonymous_quote_is_itemised_computed_on_the_server_and_stored(api, cloud, cart, sku):
    response = api.post(
        f"/carts/{cart}/quote",
        json=order(invoice={"company_name": "ACME BV", "tax_id": "NL123456789B01"}, note="Leave at the door"),
    )
    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["lines"] == [
        {
            "sku": sku,
            "product_id": quote["lines"][0]["product_id"],
            "name": quote["lines"][0]["name"],
            "variant_name": "Q",
            "quantity": 2,
            "unit_price": 1999,
            "line_total": 3998,
            "tax": 694,
        }
    ]
    assert quote["subtotal"] == 3998 and quote["currency"] == "EUR" and quote["weight_grams"] == 600
    assert quote["shipping"]["fee"] == 495 and quote["shipping"]["tax"] == 86
    assert quote["discounts"] == [] and quote["discount_total"] == 0
    assert quote["tax"] == {"country": "NL", "rate": "21", "prices_include_tax": True, "amount": 780}
    assert quote["total"] == 4493 and quote["payment_method"] == "card"
    assert quote["invoice"]["tax_id"] == "NL123456789B01" and quote["note"] == "Leave at the door"
    stored = cloud.client("dynamodb").get_item(
        TableName=os.environ["CARTS_TABLE"], Key=marshal({"pk": f"QUOTE#{quote['quote_id']}", "sk": "QUOTE"})
    )["Item"]
    stored = unmarshal(stored)
    assert stored["quote"]["total"] == 4493 and stored["expires_at"] == quote["expires_at"]


def test_quotes_follow_the_destination(api, cart):
    de = api.post(f"/carts/{cart}/quote", json=order(DE_ADDRESS, delivery_method="express")).json()
    assert de["shipping"]["fee"] == 1995 and de["tax"]["rate"] == "19" and de["total"] == 3998 + 1995
    pickup = api.post(f"/carts/{cart}/quote", json=order(delivery_method="pickup")).json()
    assert pickup["shipping"]["fee"] == 0 and pickup["total"] == 3998


def test_quote_refusals(api, cart, sku):
    empty = api.post("/carts").json()["cart_id"]
    assert_problem(api.post(f"/carts/{empty}/quote", json=order()), 409, "CART_EMPTY")
    body = assert_problem(
        api.post(f"/carts/{cart}/quote", json=order(DE_ADDRESS, delivery_method="pickup")),
        422,
        "DELIVERY_METHOD_UNAVAILABLE",
    )
    assert body["available"] == ["standard", "express"]
    for bad in (
        order(total=1),
        order(subtotal=0),
        order(delivery_method="drone"),
        order(payment_method="cash"),
        order(note="x" * 501),
        order(invoice={"company_name": "", "tax_id": "NL1"}),
        {"delivery_method": "standard", "payment_method": "card"},
    ):
        assert_problem(api.post(f"/carts/{cart}/quote", json=bad), 422, "INVALID_BODY")
    assert_problem(api.post("/carts/no-such-cart/quote", json=order()), 404, "CART_NOT_FOUND")
    assert_problem(api.post(f"/carts/{cart}/quote", json=order(), params={"x": 1}), 422, "UNKNOWN_PARAMETER")
    stock(sku, 1)
    body = assert_problem(api.post(f"/carts/{cart}/quote", json=order()), 409, "STOCK_CHANGED")
    assert body["items"] == [{"sku": sku, "requested": 2, "available": 1, "reason": "INSUFFICIENT_STOCK"}]


def test_a_customer_quotes_with_a_saved_or_a_new_address(api, cloud, sku):
    h = auth(new_customer(cloud))
    assert api.post("/me/cart/quote", json=order()).status_code == 401
    assert_problem(api.post("/me/cart/quote", headers=h, json=order()), 409, "CART_EMPTY")
    api.post("/me/cart/items", headers=h, json={"sku": sku, "quantity": 3})
    quote = api.post("/me/cart/quote", headers=h, json=order())
    assert quote.status_code == 201, quote.text
    assert quote.json()["total"] == 5997  # free standard shipping from 50.00 in NL
    both = {**order(), "address_id": "adr_x"}
    assert_problem(api.post("/me/cart/quote", headers=h, json=both), 422, "INVALID_BODY")
    saved = api.post("/me/addresses", headers=h, json=DE_ADDRESS)
    assert saved.status_code == 201, saved.text
    by_id = {"address_id": saved.json()["address_id"], "delivery_method": "standard", "payment_method": "paypal"}
    quote = api.post("/me/cart/quote", headers=h, json=by_id)
    assert quote.status_code == 201, quote.text
    assert quote.json()["shipping_address"]["country"] == "DE" and quote.json()["tax"]["rate"] == "19"
    unknown = api.post("/me/cart/quote", headers=h, json={**by_id, "address_id": "adr_01NOSUCHADDRESS000000000000"})
    assert unknown.status_code == 404, unknown.text
    other = auth(new_customer(cloud))  # someone else's address id is unknown to them
    api.post("/me/cart/items", headers=other, json={"sku": sku, "quantity": 1})
    assert api.post("/me/cart/quote", headers=other, json=by_id).status_code == 404
