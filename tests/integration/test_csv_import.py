"""Batch product generation from a CSV file over HTTP against the local cloud: every row checked at
once, the report in the answer, the good rows imported through the real catalogue-import workflow,
progress on the import's status route, and the same file again changing nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.integration.support import assert_problem, auth

CSV = "text/csv"
HEADER = "product_id,name,brand,category,sku,variant_name,price,weight_grams,attributes,barcode"


@pytest.fixture(scope="module")
def staff(staff_token) -> dict[str, str]:
    return auth(staff_token("catalogue-manager"))


def tagged_file(tag: str) -> str:
    """Two products; row 4 (a bad price) and row 6 (an unknown brand) are the bad ones."""
    up = tag.upper()
    return "\n".join(
        [
            HEADER,
            f"csv-{tag}-mug,CSV Mug {tag},Casa Bella,home/kitchen/coffee,CSV-{up}-S,Small,12.50 EUR,300,colour=black,",
            f"csv-{tag}-mug,,,,CSV-{up}-M,Medium,1390,350,colour=White,4006381333931",
            f"csv-{tag}-mug,,,,CSV-{up}-L,Large,cheap,400,,",
            f"csv-{tag}-pan,CSV Pan {tag},Casa Bella,home/kitchen/cookware,CSV-{up}-P,28 cm,4900,1800,,",
            f"csv-{tag}-bad,CSV Bad {tag},Nobody,home/kitchen/cookware,CSV-{up}-B,One,100,100,,",
        ]
    )


def post(api, staff, text: str, **headers: str) -> Any:
    return api.post("/admin/catalogue/imports/csv", headers=staff | {"Content-Type": CSV} | headers, data=text)


def finished(api, staff, import_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/admin/catalogue/imports/{import_id}", headers=staff).json()
        if body["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.2)


def test_a_file_is_checked_row_by_row_and_its_good_rows_imported(api, cloud, staff):
    tag = uuid.uuid4().hex[:8]
    response = post(api, staff, tagged_file(tag))
    assert response.status_code == 202, response.text
    report = response.json()
    assert report["rows"] == {"total": 5, "invalid": 2, "unchanged": 0, "queued": 3}
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(4, "price"), (6, "brand")]
    assert "not an active brand" in report["problems"][1]["reason"] and report["products_to_import"] == 2

    status = finished(api, staff, report["import_id"])
    assert status["status"] == "SUCCEEDED" and status["kind"] == "csv"
    assert status["rows"] | {"done": 3, "imported": 3, "failed": 0} == status["rows"]
    assert status["counts"] == {"imported": 2, "rejected": 0, "failed": 0}
    assert [p["row"] for p in status["row_problems"]] == [4, 6]

    mug = api.get(f"/products/csv-{tag}-mug").json()
    assert [(v["sku"], v["price"]) for v in mug["variants"]] == [
        (f"CSV-{tag.upper()}-S", 1250),
        (f"CSV-{tag.upper()}-M", 1390),
    ]
    assert mug["variants"][1]["attributes"] == {"colour": "white"} and mug["variants"][1]["barcode"] == "4006381333931"
    assert api.get(f"/products/csv-{tag}-bad").status_code == 404

    again = post(api, staff, tagged_file(tag))  # the same file: nothing to do, and it says so
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["status"] == "SUCCEEDED" and body["rows"] == {"total": 5, "invalid": 2, "unchanged": 3, "queued": 0}
    assert "nothing to import" in body["message"] and "unchanged" in body["message"]
    assert finished(api, staff, body["import_id"])["rows"]["done"] == 0
    assert api.get(f"/admin/catalogue/products/csv-{tag}-mug", headers=staff).json()["version"] == 1


def test_a_json_body_and_an_idempotency_key(api, staff):
    tag = uuid.uuid4().hex[:8]
    text = "\n".join(tagged_file(tag).splitlines()[:2])
    key = {"Idempotency-Key": f"csv-{tag}-key"}
    first = api.post("/admin/catalogue/imports/csv", headers=staff | key, json={"csv": text})
    assert first.status_code == 202, first.text
    again = api.post("/admin/catalogue/imports/csv", headers=staff | key, json={"csv": text})
    assert again.json()["import_id"] == first.json()["import_id"] and again.json()["replayed"] is True
    other = api.post("/admin/catalogue/imports/csv", headers=staff | key, json={"csv": text + "\n"})
    assert_problem(other, 409, "IDEMPOTENCY_KEY_REUSED")
    assert finished(api, staff, first.json()["import_id"])["rows"]["imported"] == 1


def test_a_file_of_only_bad_rows_imports_nothing_and_says_why(api, staff):
    tag = uuid.uuid4().hex[:8]
    bad = "\n".join([HEADER, f"csv-{tag},X,Nobody,no/such,CSV-{tag.upper()},One,-1,1,,"])
    problem = assert_problem(post(api, staff, bad), 422, "CSV_ROWS_INVALID")
    assert {(p["row"], p["column"]) for p in problem["problems"]} == {(2, "price")}
    assert problem["problems_total"] == 1
    assert api.get(f"/admin/catalogue/products/csv-{tag}", headers=staff).status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("product_id,colour\nx,y", CSV, 422, "CSV_INVALID"),
        ("", CSV, 422, "CSV_INVALID"),
        ("{not json", "application/json", 400, "MALFORMED_JSON"),
        ('{"file": "x"}', "application/json", 422, "INVALID_BODY"),
        ("<xml/>", "application/xml", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_problem(api, staff, body, content_type, status, code):
    response = api.post("/admin/catalogue/imports/csv", headers=staff | {"Content-Type": content_type}, data=body)
    assert_problem(response, status, code)


def test_a_file_over_the_api_body_limit_is_refused_by_size(api, staff):
    big = HEADER + "\n" + ("x," * 9 + "x\n") * 14_000
    assert_problem(post(api, staff, big), 413, "BODY_TOO_LARGE")


def test_only_catalogue_staff_import(api, staff_token, customer_token):
    text = tagged_file("denied")
    assert post(api, {}, text).status_code == 401
    assert post(api, auth(customer_token), text).status_code == 401
    assert_problem(post(api, auth(staff_token("warehouse")), text), 403, "FORBIDDEN")
    assert api.get("/products/csv-denied-mug").status_code == 404
