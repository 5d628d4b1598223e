"""The storefront catalogue over HTTP against the local cloud: listing with filters, sorts, cursors
and facets; best sellers; product pages with live stock; similar products; categories, brands,
attributes and collections; the staff reference-data routes; and every kind of bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.seed import demo_products, demo_reference
from tests.integration.test_catalog_api import assert_problem, auth, new_product, wait_for_import

DEMO_IDS = {p["product_id"] for p in demo_products()}


def ids(body: dict[str, Any]) -> list[str]:
    return [item["product_id"] for item in body["items"]]


def fresh(cloud) -> None:
    assert cloud.wait_for_idle(timeout=30)
    cloud.run_schedule("search-publish-snapshot")


# ---- listing ----------------------------------------------------------------------------------------
def test_a_category_lists_its_sub_categories_with_facets(api):
    body = api.get("/products", params={"category": "electronics/audio", "limit": 50}).json()
    assert body["total"] >= 7 and {i["category"] for i in body["items"]} >= {
        "electronics/audio/headphones",
        "electronics/audio/speakers",
    }
    facets = body["facets"]
    assert {c["path"] for c in facets["categories"]} >= {"electronics/audio/headphones", "electronics/audio/speakers"}
    assert "colour" in facets["attributes"] and {b["slug"] for b in facets["brands"]} >= {"sonora", "acoustix"}
    assert body["snapshot"]


def test_filters_combine_brand_attributes_price_and_stock(api):
    params = {"brand": "sonora,acoustix", "attr": "colour:black", "price_max": 20000, "in_stock": "true", "limit": 50}
    body = api.get("/products", params=params).json()
    assert body["items"]
    for item in body["items"]:
        assert item["brand_slug"] in {"sonora", "acoustix"} and item["price_from"] <= 20000
        assert item["stock_status"] in {"in_stock", "low_stock"}


def test_sorting_by_price_and_paging_walks_everything_once(api):
    seen, prices, cursor = [], [], None
    while True:
        params = {"sort": "price_asc", "limit": 7, "category": "apparel"} | ({"cursor": cursor} if cursor else {})
        body = api.get("/products", params=params).json()
        seen += ids(body)
        prices += [i["price_from"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert prices == sorted(prices) and len(seen) == len(set(seen)) == body["total"] >= 8


def test_stock_status_reaches_the_listing(api):
    items = {i["product_id"]: i for i in api.get("/products", params={"limit": 100}).json()["items"]}
    assert items["barista-espresso-machine"]["stock_status"] == "backorder"
    assert items["barista-espresso-machine"]["backorder_eta"] is not None
    assert items["cold-brew-jar"]["stock_status"] == "out_of_stock"
    in_stock = ids(api.get("/products", params={"in_stock": "true", "limit": 100}).json())
    assert "cold-brew-jar" not in in_stock and "aurora-anc-headphones" in in_stock


def test_best_sellers_rank_by_units_sold_per_category(api):
    sales = demo_reference()["sales"]
    top = ids(api.get("/best-sellers", params={"limit": 3}).json())
    assert top == sorted(sales, key=lambda p: -sales[p])[:3]
    kitchen = api.get("/best-sellers", params={"category": "home/kitchen"}).json()["items"]
    assert kitchen[0]["product_id"] == "pour-over-set" and all(
        i["category"].startswith("home/kitchen") for i in kitchen
    )
    assert ids(api.get("/products", params={"sort": "best_selling", "limit": 1}).json()) == top[:1]


# ---- product pages --------------------------------------------------------------------------------------
def test_a_product_page_shows_stock_per_variant_and_breadcrumbs(api):
    body = api.get("/products/quietride-travel-headphones").json()
    assert {v["stock_status"] for v in body["variants"]} == {"backorder"} and body["stock_status"] == "backorder"
    assert body["backorder_eta"] == min(v["backorder_eta"] for v in body["variants"])
    assert [b["name"] for b in body["breadcrumbs"]] == ["Electronics", "Audio", "Headphones"]
    aurora = {v["sku"]: v["stock_status"] for v in api.get("/products/aurora-anc-headphones").json()["variants"]}
    assert aurora == {"AUR-BLA": "in_stock", "AUR-WHI": "in_stock", "AUR-NAV": "low_stock"}


def test_similar_products_come_from_the_same_category_first(api):
    body = api.get("/products/featherbook-13/similar", params={"limit": 4}).json()
    assert "featherbook-13" not in ids(body)
    assert [i["category"] for i in body["items"][:2]] == ["electronics/computers/laptops"] * 2
    assert_problem(api.get("/products/no-such-thing/similar"), 404, "PRODUCT_NOT_FOUND")


# ---- browsing ----------------------------------------------------------------------------------------------
def test_the_category_tree_has_three_levels_names_and_counts(api):
    tree = api.get("/categories").json()["categories"]
    electronics = next(n for n in tree if n["path"] == "electronics")
    assert electronics["name"] == "Electronics" and electronics["product_count"] >= 14
    audio = next(n for n in electronics["children"] if n["path"] == "electronics/audio")
    assert {c["name"] for c in audio["children"]} == {"Headphones", "Speakers"}
    subtree = api.get("/categories", params={"root": "home/kitchen"}).json()["categories"]
    assert [n["path"] for n in subtree] == ["home/kitchen"]
    assert_problem(api.get("/categories", params={"root": "no/such"}), 404, "CATEGORY_NOT_FOUND")


def test_brands_and_attribute_definitions(api):
    brands = {b["slug"]: b for b in api.get("/brands").json()["brands"]}
    assert brands["sonora"]["manufacturer_name"] == "Sonora Audio GmbH" and brands["sonora"]["product_count"] >= 3
    attributes = {a["code"]: a for a in api.get("/attributes").json()["attributes"]}
    assert attributes["colour"]["type"] == "option" and "navy" in attributes["colour"]["options"]
    assert attributes["battery_hours"] == {
        "code": "battery_hours",
        "name": "Battery hours",
        "type": "number",
        "options": None,
        "unit": "h",
    }


def test_a_collection_lists_its_products_in_order(api):
    body = api.get("/collections/home-office").json()
    assert ids(body) == demo_reference()["collections"]["home-office"]["product_ids"]
    assert body["title"] == "Home Office Essentials"
    assert_problem(api.get("/collections/no-such-collection"), 404, "COLLECTION_NOT_FOUND")


# ---- staff: reference data and collections ------------------------------------------------------------------
def test_staff_add_categories_brands_and_attributes(api, staff_token):
    token = staff_token("catalogue-manager")
    change = {
        "categories": [{"path": "garden", "name": "Garden"}, {"path": "garden/tools", "name": "Tools", "position": 1}],
        "manufacturers": [{"slug": "greenworks", "name": "Greenworks AB", "country": "SE"}],
        "brands": [{"slug": "greenline", "name": "Greenline", "manufacturer": "greenworks"}],
        "suppliers": [{"slug": "garden-supply", "name": "Garden Supply", "lead_time_days": 3}],
        "attributes": [{"code": "blade_cm", "name": "Blade length", "type": "number", "unit": "cm"}],
    }
    response = api.put("/admin/catalogue/reference", json=change, headers=auth(token))
    assert response.status_code == 200, response.text
    assert "garden/tools" in {c["path"] for c in response.json()["categories"]}
    assert "blade_cm" in {a["code"] for a in api.get("/attributes").json()["attributes"]}
    brands = {b["slug"]: b for b in api.get("/brands").json()["brands"]}
    assert brands["greenline"]["manufacturer_name"] == "Greenworks AB" and brands["greenline"]["product_count"] == 0
    garden = next(n for n in api.get("/categories").json()["categories"] if n["path"] == "garden")
    assert garden["product_count"] == 0 and garden["children"][0]["name"] == "Tools"


def test_inconsistent_or_invalid_reference_data_is_refused(api, staff_token):
    token = staff_token("admin")
    orphan = {"categories": [{"path": "nowhere/child", "name": "Orphan"}]}
    body = assert_problem(
        api.put("/admin/catalogue/reference", json=orphan, headers=auth(token)), 422, "INVALID_REFERENCE"
    )
    assert body["errors"][0]["key"] == "nowhere/child"
    bad_option = {"attributes": [{"code": "mood", "name": "Mood", "type": "option"}]}
    assert_problem(api.put("/admin/catalogue/reference", json=bad_option, headers=auth(token)), 422, "INVALID_BODY")
    assert_problem(
        api.put("/admin/catalogue/reference", json={"colours": []}, headers=auth(token)), 422, "INVALID_BODY"
    )


def test_reference_data_needs_manage_products(api, staff_token):
    assert api.put("/admin/catalogue/reference", json={}).status_code == 401
    assert_problem(
        api.put("/admin/catalogue/reference", json={}, headers=auth(staff_token("warehouse"))), 403, "FORBIDDEN"
    )
    assert_problem(
        api.put(
            "/admin/collections/x",
            json={"title": "X", "product_ids": ["chef-knife"]},
            headers=auth(staff_token("warehouse")),
        ),
        403,
        "FORBIDDEN",
    )


def test_staff_run_a_campaign_collection_with_a_window(api, staff_token):
    token = staff_token("catalogue-manager")
    slug = f"campaign-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    running = {
        "title": "Flash sale",
        "product_ids": ["chef-knife", "burr-grinder"],
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }
    assert api.put(f"/admin/collections/{slug}", json=running, headers=auth(token)).status_code == 200
    assert ids(api.get(f"/collections/{slug}").json()) == ["chef-knife", "burr-grinder"]
    later = running | {"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": None}
    assert api.put(f"/admin/collections/{slug}", json=later, headers=auth(token)).status_code == 200
    assert_problem(api.get(f"/collections/{slug}"), 404, "COLLECTION_NOT_FOUND")
    unknown = running | {"product_ids": ["chef-knife", "no-such-product"]}
    body = assert_problem(
        api.put(f"/admin/collections/{slug}", json=unknown, headers=auth(token)), 422, "UNKNOWN_PRODUCTS"
    )
    assert body["product_ids"] == ["no-such-product"]
    backwards = running | {"ends_at": (now - timedelta(days=1)).isoformat()}
    assert_problem(api.put(f"/admin/collections/{slug}", json=backwards, headers=auth(token)), 422, "INVALID_BODY")


def test_a_retired_product_leaves_listings_and_collections(api, cloud, staff_token):
    token = staff_token("catalogue-manager")
    product = new_product(uuid.uuid4().hex[:8])
    started = api.post("/admin/catalogue/imports", json={"products": [product]}, headers=auth(token)).json()
    assert wait_for_import(api, token, started["import_id"])["status"] == "SUCCEEDED"
    slug = f"retire-{uuid.uuid4().hex[:6]}"
    collection = {"title": "R", "product_ids": [product["product_id"], "chef-knife"]}
    assert api.put(f"/admin/collections/{slug}", json=collection, headers=auth(token)).status_code == 200
    fresh(cloud)
    assert ids(api.get(f"/collections/{slug}").json()) == [product["product_id"], "chef-knife"]
    retired = api.post(
        "/admin/catalogue/imports", json={"products": [product | {"status": "retired"}]}, headers=auth(token)
    ).json()
    assert wait_for_import(api, token, retired["import_id"])["status"] == "SUCCEEDED"
    fresh(cloud)
    assert ids(api.get(f"/collections/{slug}").json()) == ["chef-knife"]
    assert product["product_id"] not in ids(api.get("/products", params={"limit": 100}).json())
    assert_problem(api.get(f"/products/{product['product_id']}"), 404, "PRODUCT_NOT_FOUND")


# ---- bad input -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/products", {"colour": "black"}, 422, "UNKNOWN_PARAMETER"),
        ("/products", {"categroy": "electronics"}, 422, "UNKNOWN_PARAMETER"),
        ("/products", {"attr.colour": "black"}, 422, "UNKNOWN_PARAMETER"),
        ("/products", {"attr": "flavour:mint"}, 422, "UNKNOWN_ATTRIBUTE"),
        ("/products", {"attr": "colour"}, 422, "INVALID_PARAMETER"),
        ("/products", {"attr": "Colour:black"}, 422, "INVALID_PARAMETER"),
        ("/products", {"sort": "cheapest"}, 422, "INVALID_PARAMETER"),
        ("/products", {"price_min": "ten"}, 422, "INVALID_PARAMETER"),
        ("/products", {"price_min": -1}, 422, "INVALID_PARAMETER"),
        ("/products", {"price_min": 500, "price_max": 100}, 422, "INVALID_PARAMETER"),
        ("/products", {"in_stock": "maybe"}, 422, "INVALID_PARAMETER"),
        ("/products", {"category": "Not A Path"}, 422, "INVALID_PARAMETER"),
        ("/products", {"category": "electronics/toasters"}, 404, "CATEGORY_NOT_FOUND"),
        ("/products", {"cursor": "not-a-cursor"}, 400, "INVALID_CURSOR"),
        ("/best-sellers", {"limit": 51}, 422, "INVALID_PARAMETER"),
        ("/best-sellers", {"sort": "newest"}, 422, "UNKNOWN_PARAMETER"),
        ("/best-sellers", {"category": "nope"}, 404, "CATEGORY_NOT_FOUND"),
        ("/products/featherbook-13", {"expand": "all"}, 422, "UNKNOWN_PARAMETER"),
        ("/products/featherbook-13/similar", {"limit": 0}, 422, "INVALID_PARAMETER"),
        ("/categories", {"depth": 2}, 422, "UNKNOWN_PARAMETER"),
        ("/brands", {"q": "x"}, 422, "UNKNOWN_PARAMETER"),
        ("/attributes", {"type": "option"}, 422, "UNKNOWN_PARAMETER"),
        ("/collections/Bad_Slug", {}, 422, "INVALID_PARAMETER"),
    ],
)
def test_bad_input_is_a_problem_with_a_stable_code(api, path, params, status, code):
    assert_problem(api.get(path, params=params), status, code)


def test_a_cursor_from_another_query_is_refused(api):
    cursor = api.get("/products", params={"sort": "price_asc", "limit": 2}).json()["next_cursor"]
    assert_problem(
        api.get("/products", params={"sort": "price_desc", "limit": 2, "cursor": cursor}), 400, "INVALID_CURSOR"
    )
    assert_problem(
        api.get("/products", params={"sort": "price_asc", "limit": 2, "brand": "sonora", "cursor": cursor}),
        400,
        "INVALID_CURSOR",
    )
    # the same query with another page size is the same query
    assert api.get("/products", params={"sort": "price_asc", "limit": 5, "cursor": cursor}).status_code == 200


def test_the_demo_is_listed(api):
    assert set(ids(api.get("/products", params={"limit": 100}).json())) >= DEMO_IDS
