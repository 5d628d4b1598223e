"""The first vertical slice over HTTP against the local cloud: API Gateway -> Lambda -> DynamoDB,
staff imports through the real Step Functions workflow, and the search index fed by bus events
through SQS."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import pytest

from local.seed import demo_products
from tests.integration.support import assert_problem, auth


def wait_for_import(api, token: str, import_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/admin/catalogue/imports/{import_id}", headers=auth(token)).json()
        if body["status"] != "RUNNING" or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def new_product(suffix: str) -> dict[str, Any]:
    product = copy.deepcopy(demo_products()[0])
    product["product_id"] = f"test-{suffix}"
    product["name"] = f"Zephyr Test Headphones {suffix}"
    for i, variant in enumerate(product["variants"]):
        variant["sku"] = f"TST-{suffix.upper()}-{i}"
    return product


# ---- storefront reads ----------------------------------------------------------------------------
def test_health_reports_ok(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"catalog": "ok"}}


def test_the_demo_catalogue_is_listed_page_by_page_without_gaps_or_repeats(api):
    seen: list[str] = []
    cursor = None
    while True:
        response = api.get("/products", params={"limit": 10, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        page = response.json()
        seen += [item["product_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    demo = {p["product_id"] for p in demo_products()}
    assert demo <= set(seen) and len(seen) == len(set(seen))


def test_a_product_page_shows_its_variants_and_lowest_price(api):
    response = api.get("/products/featherbook-13")
    assert response.status_code == 200
    product = response.json()
    assert product["brand"] == "Lumina" and len(product["variants"]) == 2
    assert product["price_from"] == min(v["price"] for v in product["variants"])


def test_an_unknown_product_is_a_404_problem(api):
    body = assert_problem(api.get("/products/no-such-thing"), 404, "PRODUCT_NOT_FOUND")
    assert body["product_id"] == "no-such-thing"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "ten"}])
def test_a_bad_page_size_is_a_422_problem(api, params):
    assert_problem(api.get("/products", params=params), 422, "INVALID_PARAMETER")


def test_a_forged_cursor_is_a_400_problem(api):
    assert_problem(api.get("/products", params={"cursor": "eyJwayI6IngifQ"}), 400, "INVALID_CURSOR")


def test_an_unknown_route_is_a_404_problem(api):
    response = api.get("/no-such-route")
    assert response.status_code in (403, 404)  # API Gateway answers unknown paths itself


# ---- staff imports through the workflow ------------------------------------------------------------
def test_importing_needs_a_staff_token_with_manage_products(api, staff_token, customer_token):
    body = {"products": [new_product("denied")]}
    assert api.post("/admin/catalogue/imports", json=body).status_code == 401
    assert api.post("/admin/catalogue/imports", json=body, headers=auth(customer_token)).status_code == 401
    assert_problem(
        api.post("/admin/catalogue/imports", json=body, headers=auth(staff_token("warehouse"))), 403, "FORBIDDEN"
    )
    assert api.get("/products/test-denied").status_code == 404


def test_an_import_stores_good_products_reports_bad_ones_and_indexes_them_for_search(api, cloud, staff_token):
    token = staff_token("catalogue-manager")
    suffix = uuid.uuid4().hex[:8]
    good = new_product(suffix)
    bad = new_product(suffix + "x")
    bad["variants"][0]["price"] = -5
    response = api.post("/admin/catalogue/imports", json={"products": [good, bad]}, headers=auth(token))
    assert response.status_code == 202, response.text
    result = wait_for_import(api, token, response.json()["import_id"])
    assert result["status"] == "SUCCEEDED"
    assert result["counts"] == {"imported": 1, "rejected": 1, "failed": 0}
    (problem,) = result["problems"]
    assert problem["product_id"] == bad["product_id"] and "price" in problem["reason"]
    assert api.get(f"/products/{good['product_id']}").json()["name"] == good["name"]
    assert api.get(f"/products/{bad['product_id']}").status_code == 404

    # ProductUpserted -> bus rule -> SQS -> search indexer -> search document -> snapshot -> search
    assert cloud.wait_for_idle(timeout=30)
    cloud.run_schedule("search-publish-snapshot")
    found = api.get("/search", params={"q": f"zephyr {suffix}"}).json()
    assert [item["product_id"] for item in found["items"]] == [good["product_id"]]
    assert good["product_id"] in {
        item["product_id"] for item in api.get("/products", params={"limit": 100}).json()["items"]
    }


def test_a_retried_import_with_the_same_key_is_the_same_import(api, staff_token):
    token = staff_token("admin")
    body = {"products": [new_product(uuid.uuid4().hex[:8])]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/admin/catalogue/imports", json=body, headers=auth(token) | key)
    again = api.post("/admin/catalogue/imports", json=body, headers=auth(token) | key)
    assert first.status_code == again.status_code == 202
    assert first.json()["import_id"] == again.json()["import_id"]
    other = {"products": [new_product(uuid.uuid4().hex[:8])]}
    assert_problem(
        api.post("/admin/catalogue/imports", json=other, headers=auth(token) | key), 409, "IDEMPOTENCY_KEY_REUSED"
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [("{not json", "MALFORMED_JSON"), ('{"products": []}', "INVALID_BODY"), ('{"products": "x"}', "INVALID_BODY")],
)
def test_a_malformed_import_is_refused_and_starts_nothing(api, staff_token, body, code):
    response = api.post(
        "/admin/catalogue/imports",
        data=body,
        headers=auth(staff_token("admin")) | {"Content-Type": "application/json"},
    )
    assert_problem(response, 400 if code == "MALFORMED_JSON" else 422, code)


def test_the_demo_catalogue_went_in_through_the_workflow(cloud):
    sfn = cloud.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=cloud.state_machine_arn("catalogue-import"))["executions"]
    demo = next(e for e in executions if e["name"] == "demo-catalogue")
    assert demo["status"] == "SUCCEEDED"
