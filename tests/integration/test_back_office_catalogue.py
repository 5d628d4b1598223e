"""Catalogue management in the back office, over HTTP against the local cloud: reference entries,
products and SKUs are created, edited (with optimistic concurrency) and retired; retiring what is
still used is refused; the storefront follows; bad input and missing permissions change nothing."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest

from commerce.adapters.aws import client
from commerce.adapters.inventory_dynamo import DynamoStockRepository
from infra.model import AuthKind
from infra.topology import TOPOLOGY
from tests.integration.support import assert_problem, auth, until
from tests.integration.test_audit_log import history as audit_history

CATALOGUE_FUNCTIONS = ("catalog-admin-reference", "catalog-admin-products", "catalog-admin-csv-import")
ROUTES = [route for name in CATALOGUE_FUNCTIONS for route in TOPOLOGY.function(name).http]


def suffix() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def staff(staff_token) -> dict[str, str]:
    return auth(staff_token("catalogue-manager"))


def a_product(tag: str, **changes: Any) -> dict[str, Any]:
    product = {
        "product_id": f"bo-{tag}",
        "name": f"Back Office Mug {tag}",
        "brand": "Casa Bella",
        "category": "home/kitchen/coffee",
        "attributes": {"dishwasher_safe": True},
        "variants": [
            {"sku": f"BO-{tag.upper()}-1", "name": "Small", "price": 1200, "weight_grams": 300},
            {"sku": f"BO-{tag.upper()}-2", "name": "Large", "price": 1500, "weight_grams": 450},
        ],
    }
    return product | changes


def created(api, staff, product: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/admin/catalogue/products", headers=staff, json=product)
    assert response.status_code == 201, response.text
    return dict(response.json())


# ---- who may ---------------------------------------------------------------------------------------------
def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "zz-nothing", path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_each_route_refuses_customers_and_staff_without_manage_products(api, staff_token, customer_token, route):
    headers = {"Content-Type": "application/json"}
    body = json.dumps({"slug": "zz-nothing", "name": "Nothing"})
    for token in (None, customer_token):
        response = api.request(route.method, concrete(route.path), headers=headers | auth(token or ""), data=body)
        assert response.status_code == 401, response.text
    response = api.request(
        route.method, concrete(route.path), headers=headers | auth(staff_token("warehouse")), data=body
    )
    assert_problem(response, 403, "FORBIDDEN")
    assert response.json()["permission"] == "MANAGE_PRODUCTS"
    assert api.get("/admin/catalogue/brands/zz-nothing", headers=auth(staff_token("admin"))).status_code == 404


# ---- reference entries -------------------------------------------------------------------------------------
def test_a_brand_is_created_edited_with_its_version_and_retired(api, cloud, staff):
    slug = f"bo-brand-{suffix()}"
    response = api.post("/admin/catalogue/brands", headers=staff, json={"slug": slug, "name": f"Brand {slug}"})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"' and response.headers["Location"].endswith(f"/brands/{slug}")
    assert response.json()["status"] == "active"
    assert_problem(
        api.post("/admin/catalogue/brands", headers=staff, json={"slug": slug, "name": "Again"}), 409, "ALREADY_EXISTS"
    )

    edit = {"slug": slug, "name": "Renamed", "manufacturer": "casa-group"}
    edited = api.put(f"/admin/catalogue/brands/{slug}", headers=staff | {"If-Match": '"1"'}, json=edit)
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["name"] == "Renamed"
    stale = api.put(f"/admin/catalogue/brands/{slug}", headers=staff, json=edit | {"version": 1, "name": "Lost"})
    assert assert_problem(stale, 412, "VERSION_MISMATCH")["current_version"] == 2
    assert api.get(f"/admin/catalogue/brands/{slug}", headers=staff).json()["name"] == "Renamed"
    assert {b["slug"] for b in api.get("/brands").json()["brands"]} >= {slug}

    retired = api.post(f"/admin/catalogue/brands/{slug}/retire", headers=staff, json={"version": 2})
    assert retired.status_code == 200, retired.text
    assert retired.json()["status"] == "retired" and retired.json()["retired_at"]
    assert_problem(api.post(f"/admin/catalogue/brands/{slug}/retire", headers=staff), 409, "ALREADY_RETIRED")
    assert slug not in {b["slug"] for b in api.get("/brands").json()["brands"]}  # the storefront no longer shows it
    listed = api.get("/admin/catalogue/brands", headers=staff, params={"status": "retired"}).json()
    assert slug in {b["slug"] for b in listed}

    entries = until(
        lambda: audit_history(cloud, "brands", slug) if len(audit_history(cloud, "brands", slug)) == 3 else None
    )
    assert [json.loads(e["after"])["version"] for e in sorted(entries, key=lambda e: e["sk"])] == [1, 2, 3]


def test_retiring_a_brand_of_active_products_is_refused_with_who_uses_it(api, staff):
    refused = assert_problem(api.post("/admin/catalogue/brands/sonora/retire", headers=staff), 409, "STILL_REFERENCED")
    (products,) = refused["references"]
    assert products["type"] == "products" and "aurora-anc-headphones" in products["ids"] and products["count"] >= 3
    assert api.get("/admin/catalogue/brands/sonora", headers=staff).json()["status"] == "active"


def test_categories_by_path_with_dots_parents_first_children_retired_first(api, staff):
    top = f"bo-{suffix()}"
    child = {"path": f"{top}/mugs", "name": "Mugs"}
    assert_problem(api.post("/admin/catalogue/categories", headers=staff, json=child), 422, "INVALID_REFERENCE")
    assert api.post("/admin/catalogue/categories", headers=staff, json={"path": top, "name": "Top"}).status_code == 201
    assert api.post("/admin/catalogue/categories", headers=staff, json=child).status_code == 201
    assert api.get(f"/admin/catalogue/categories/{top}.mugs", headers=staff).json()["path"] == f"{top}/mugs"
    assert_problem(
        api.put(f"/admin/catalogue/categories/{top}.mugs", headers=staff, json={"path": f"{top}/cups", "name": "X"}),
        422,
        "KEY_MISMATCH",
    )
    refused = assert_problem(
        api.post(f"/admin/catalogue/categories/{top}/retire", headers=staff), 409, "STILL_REFERENCED"
    )
    assert refused["references"][0] == {"type": "categories", "count": 1, "ids": [f"{top}/mugs"]}
    assert api.post(f"/admin/catalogue/categories/{top}.mugs/retire", headers=staff).status_code == 200
    assert api.post(f"/admin/catalogue/categories/{top}/retire", headers=staff).status_code == 200
    assert top not in {c["path"] for c in api.get("/categories").json()["categories"]}


def test_a_category_with_active_products_a_manufacturer_of_brands_and_a_used_attribute_stay(api, staff):
    for path, kind in (
        ("categories/home.kitchen.coffee", "products"),
        ("manufacturers/sonora-audio", "brands"),
        ("attributes/colour", "products"),
    ):
        refused = assert_problem(api.post(f"/admin/catalogue/{path}/retire", headers=staff), 409, "STILL_REFERENCED")
        assert kind in {r["type"] for r in refused["references"]}


def test_suppliers_and_attributes_are_validated_like_the_bulk_reference_route(api, staff):
    slug = f"bo-supplier-{suffix()}"
    supplier = {"slug": slug, "name": "Supplier", "email": "buy@supplier.example.com", "lead_time_days": 3}
    assert api.post("/admin/catalogue/suppliers", headers=staff, json=supplier).status_code == 201
    bad = api.put(f"/admin/catalogue/suppliers/{slug}", headers=staff, json=supplier | {"lead_time_days": 900})
    assert_problem(bad, 422, "INVALID_BODY")
    assert api.get(f"/admin/catalogue/suppliers/{slug}", headers=staff).json()["lead_time_days"] == 3
    assert api.post(f"/admin/catalogue/suppliers/{slug}/retire", headers=staff).status_code == 200
    option_without_options = {"code": f"bo_{suffix()}", "name": "Finish", "type": "option"}
    assert_problem(
        api.post("/admin/catalogue/attributes", headers=staff, json=option_without_options), 422, "INVALID_BODY"
    )
    assert_problem(api.get("/admin/catalogue/attributes/NotACode", headers=staff), 422, "INVALID_PARAMETER")
    assert_problem(api.get("/admin/catalogue/attributes/no_such_code", headers=staff), 404, "REFERENCE_NOT_FOUND")


# ---- products ---------------------------------------------------------------------------------------------
def test_a_product_is_created_checked_against_the_reference_data_and_sold(api, cloud, staff):
    tag = suffix()
    product = created(api, staff, a_product(tag))
    assert product["version"] == 1 and product["brand"] == "Casa Bella" and product["price_from"] == 1200
    assert api.get(f"/products/bo-{tag}").json()["name"] == f"Back Office Mug {tag}"  # live on the storefront
    assert_problem(api.post("/admin/catalogue/products", headers=staff, json=a_product(tag)), 409, "PRODUCT_EXISTS")
    thief = a_product(suffix(), variants=[product["variants"][0]])
    assert_problem(api.post("/admin/catalogue/products", headers=staff, json=thief), 409, "SKU_TAKEN")

    other = suffix()
    unknown = a_product(
        other, brand="Nobody", category="no/such", attributes={"made_up": 1, "dishwasher_safe": "sometimes"}
    )
    problem = assert_problem(
        api.post("/admin/catalogue/products", headers=staff, json=unknown), 422, "INVALID_REFERENCE"
    )
    assert {tuple(e["loc"]) for e in problem["errors"]} == {
        ("brand",),
        ("category",),
        ("attributes", "made_up"),
        ("attributes", "dishwasher_safe"),
    }
    assert api.get(f"/admin/catalogue/products/bo-{other}", headers=staff).status_code == 404  # nothing stored
    assert until(lambda: audit_history(cloud, "products", f"bo-{tag}"), message="the audit entry")


def test_a_product_edit_names_its_version_and_what_it_leaves_out_is_retired(api, staff):
    tag = suffix()
    product = created(api, staff, a_product(tag))
    edit = a_product(tag, name="Renamed Mug", variants=product["variants"][:1])
    stale = api.put(f"/admin/catalogue/products/bo-{tag}", headers=staff | {"If-Match": '"7"'}, json=edit)
    assert assert_problem(stale, 412, "VERSION_MISMATCH")["current_version"] == 1
    mismatch = api.put(f"/admin/catalogue/products/bo-{tag}", headers=staff, json=edit | {"product_id": "bo-other"})
    assert_problem(mismatch, 422, "KEY_MISMATCH")

    response = api.put(f"/admin/catalogue/products/bo-{tag}", headers=staff | {"If-Match": 'W/"1"'}, json=edit)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"' and response.json()["name"] == "Renamed Mug"
    detail = api.get(f"/admin/catalogue/products/bo-{tag}", headers=staff).json()
    assert [v["sku"] for v in detail["retired_variants"]] == [f"BO-{tag.upper()}-2"]
    assert api.get(f"/admin/catalogue/skus/BO-{tag.upper()}-2", headers=staff).json()["status"] == "retired"
    assert [v["sku"] for v in api.get(f"/products/bo-{tag}").json()["variants"]] == [f"BO-{tag.upper()}-1"]


def test_a_retired_product_leaves_the_storefront_and_stays_in_the_back_office(api, staff):
    tag = suffix()
    created(api, staff, a_product(tag))
    retired = api.post(f"/admin/catalogue/products/bo-{tag}/retire", headers=staff)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert_problem(api.get(f"/products/bo-{tag}"), 404, "PRODUCT_NOT_FOUND")
    assert_problem(api.post(f"/admin/catalogue/products/bo-{tag}/retire", headers=staff), 409, "ALREADY_RETIRED")
    listed = api.get("/admin/catalogue/products", headers=staff, params={"prefix": f"bo-{tag}", "status": "retired"})
    assert [p["product_id"] for p in listed.json()["items"]] == [f"bo-{tag}"]


def test_products_are_listed_page_by_page_in_id_order(api, staff):
    tag = suffix()
    for n in range(3):
        created(api, staff, a_product(f"{tag}{n}"))
    seen, cursor = [], None
    while True:
        params = {"prefix": f"bo-{tag}", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/admin/catalogue/products", headers=staff, params=params).json()
        seen += [p["product_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"bo-{tag}{n}" for n in range(3)]
    assert_problem(
        api.get("/admin/catalogue/products", headers=staff, params={"cursor": "bm9wZQ"}), 400, "INVALID_CURSOR"
    )
    assert_problem(
        api.get("/admin/catalogue/products", headers=staff, params={"colour": "x"}), 422, "UNKNOWN_PARAMETER"
    )


# ---- SKUs ---------------------------------------------------------------------------------------------------
def test_a_sku_is_added_edited_and_retired_on_its_product(api, staff):
    tag = suffix()
    created(api, staff, a_product(tag))
    sku = f"BO-{tag.upper()}-3"
    new = {"product_id": f"bo-{tag}", "sku": sku, "name": "Huge", "price": 1900, "weight_grams": 700, "version": 1}
    response = api.post("/admin/catalogue/skus", headers=staff, json=new)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active" and response.headers["ETag"] == '"2"'
    assert_problem(
        api.post("/admin/catalogue/skus", headers=staff, json=new | {"version": None}), 409, "ALREADY_EXISTS"
    )

    edit = {"sku": sku, "name": "Huge", "price": 2100, "weight_grams": 700, "attributes": {"colour": "RED"}}
    edited = api.put(f"/admin/catalogue/skus/{sku}", headers=staff | {"If-Match": '"2"'}, json=edit)
    assert (
        edited.status_code == 200
        and edited.json()["price"] == 2100
        and edited.json()["attributes"] == {"colour": "red"}
    )
    bad = api.put(f"/admin/catalogue/skus/{sku}", headers=staff, json=edit | {"attributes": {"colour": "mauve"}})
    assert_problem(bad, 422, "INVALID_REFERENCE")

    retired = api.post(f"/admin/catalogue/skus/{sku}/retire", headers=staff)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert_problem(api.post(f"/admin/catalogue/skus/{sku}/retire", headers=staff), 409, "ALREADY_RETIRED")
    assert sku not in {v["sku"] for v in api.get(f"/products/bo-{tag}").json()["variants"]}
    listed = api.get("/admin/catalogue/skus", headers=staff, params={"prefix": f"BO-{tag.upper()}"}).json()["items"]
    assert [(s["sku"], s["status"]) for s in listed] == [
        (f"BO-{tag.upper()}-1", "active"),
        (f"BO-{tag.upper()}-2", "active"),
        (sku, "retired"),
    ]
    back = api.post(
        "/admin/catalogue/skus", headers=staff, json=new | {"version": None}
    )  # its own product may restore it
    assert back.status_code == 201 and back.json()["status"] == "active"


def test_a_sku_with_reserved_units_or_the_last_one_of_a_product_is_not_retired(api, staff):
    tag = suffix()
    created(api, staff, a_product(tag))
    sku = f"BO-{tag.upper()}-2"
    from commerce.wiring.inventory import inventory_service

    inventory_service().adjust(sku, "main", 5)
    stock = DynamoStockRepository(os.environ["INVENTORY_TABLE"])
    client("dynamodb").transact_write_items(TransactItems=stock.reservation_items([(sku, 2)]))
    refused = assert_problem(api.post(f"/admin/catalogue/skus/{sku}/retire", headers=staff), 409, "STILL_REFERENCED")
    assert refused["references"] == [{"type": "reservations", "count": 2, "ids": [sku]}]
    client("dynamodb").transact_write_items(TransactItems=stock.release_items([(sku, 2)]))
    assert api.post(f"/admin/catalogue/skus/{sku}/retire", headers=staff).status_code == 200
    last = assert_problem(
        api.post(f"/admin/catalogue/skus/BO-{tag.upper()}-1/retire", headers=staff), 409, "LAST_VARIANT"
    )
    assert last["product_id"] == f"bo-{tag}"
    assert_problem(api.get("/admin/catalogue/skus/NO-SUCH-SKU", headers=staff), 404, "SKU_NOT_FOUND")


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/admin/catalogue/products", "{not json", "MALFORMED_JSON"),
        ("/admin/catalogue/products", '{"product_id": "x"}', "INVALID_BODY"),
        ("/admin/catalogue/brands", '{"slug": "Bad Slug", "name": "x"}', "INVALID_BODY"),
        ("/admin/catalogue/skus", '{"sku": "BO-X", "name": "x", "price": -1, "weight_grams": 1}', "INVALID_BODY"),
    ],
)
def test_malformed_bodies_are_problems_and_change_nothing(api, staff, path, body, code):
    before = api.get("/admin/catalogue/brands", headers=staff).json()
    response = api.post(path, headers=staff | {"Content-Type": "application/json"}, data=body)
    assert_problem(response, 400 if code == "MALFORMED_JSON" else 422, code)
    assert api.get("/admin/catalogue/brands", headers=staff).json() == before


def test_the_routes_are_the_topology_s(api):
    assert {r.auth for r in ROUTES} == {AuthKind.STAFF} and len(ROUTES) == 36
