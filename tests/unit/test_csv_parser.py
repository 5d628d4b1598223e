"""The CSV import's reading and checking (commerce.catalog.csv_import), without AWS: every bad row
is reported with its row number, column and reason, good rows still go in, and a file that changes
nothing says so."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from commerce.catalog.admin_models import SkuClaim
from commerce.catalog.csv_import import COLUMNS, MAX_ROWS, parse, parse_price, plan
from commerce.catalog.errors import CsvInvalid
from commerce.catalog.models import Product
from commerce.catalog.reference import ReferenceData
from local.seed import demo_products, demo_reference

REFERENCE = ReferenceData.model_validate(demo_reference()["reference"])
HEADER = list(COLUMNS)


def pairs(values: dict[str, Any]) -> str:
    return ";".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items())


def rows_of(product: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": product["product_id"],
            "name": product["name"],
            "brand": product["brand"],
            "category": product["category"],
            "description": product.get("description", ""),
            "currency": product.get("currency", "EUR"),
            "status": product.get("status", "active"),
            "images": "|".join(product.get("images", [])),
            "product_attributes": pairs(product.get("attributes", {})),
            "sku": v["sku"],
            "variant_name": v["name"],
            "price": v["price"],
            "weight_grams": v["weight_grams"],
            "barcode": v.get("barcode", ""),
            "attributes": pairs(v.get("attributes", {})),
        }
        for v in product["variants"]
    ]


def to_csv(rows: list[dict[str, Any]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def stored(product: dict[str, Any], version: int = 1) -> Product:
    return Product.model_validate(
        {
            "description": "",
            "currency": "EUR",
            "images": [],
            "attributes": {},
            "status": "active",
            **product,
            "price_from": min(v["price"] for v in product["variants"]),
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "version": version,
        }
    )


def demo_csv() -> str:
    return to_csv([row for p in demo_products() for row in rows_of(p)])


def checked(text: str, stored_products: dict[str, Product] | None = None, claims: dict[str, SkuClaim] | None = None):
    return plan(parse(text), REFERENCE, stored_products or {}, claims or {})


# ---- a good file ------------------------------------------------------------------------------------
def test_the_demo_catalogue_as_csv_is_all_good_and_becomes_the_same_products():
    result = checked(demo_csv())
    assert result.problems == [] and result.rows_invalid == 0
    assert result.rows_total == sum(len(p["variants"]) for p in demo_products())
    planned = {p.product["product_id"]: p.product for p in result.to_import}
    aurora = planned["aurora-anc-headphones"]
    assert aurora["attributes"]["noise_cancelling"] is True and aurora["attributes"]["battery_hours"] == 30
    assert [v["sku"] for v in aurora["variants"]] == ["AUR-BLA", "AUR-WHI", "AUR-NAV"]


def test_the_same_file_again_changes_nothing_and_says_so():
    products = {p["product_id"]: stored(p) for p in demo_products()}
    result = checked(demo_csv(), products)
    assert result.to_import == [] and len(result.unchanged) == len(products) and result.problems == []


def test_a_file_changing_one_price_imports_only_that_product():
    products = {p["product_id"]: stored(p) for p in demo_products()}
    rows = [row for p in demo_products() for row in rows_of(p)]
    rows[0]["price"] = "249.00 EUR"
    result = checked(to_csv(rows), products)
    assert [p.product["product_id"] for p in result.to_import] == [rows[0]["product_id"]]
    assert result.to_import[0].product["variants"][0]["price"] == 24900
    assert result.to_import[0].rows == [2, 3, 4]  # the product's rows (header is row 1)


def test_a_partial_file_adds_and_changes_skus_but_keeps_the_others():
    aurora = demo_products()[0]
    first = rows_of(aurora)[0] | {"sku": "AUR-RED", "variant_name": "Red", "attributes": "colour=red"}
    header = ["product_id", "sku", "variant_name", "price", "weight_grams", "attributes"]
    result = checked(to_csv([first], header), {aurora["product_id"]: stored(aurora)})
    (planned,) = result.to_import
    assert [v["sku"] for v in planned.product["variants"]] == ["AUR-BLA", "AUR-WHI", "AUR-NAV", "AUR-RED"]
    assert planned.product["name"] == aurora["name"] and planned.product["images"]  # columns left out: kept


# ---- prices -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("19900", (19900, None)), ("199.00 EUR", (19900, "EUR")), ("199 eur", (19900, "EUR")), ("500 JPY", (500, "JPY"))],
)
def test_prices_are_minor_units_or_a_decimal_with_its_currency(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["19.999 EUR", "12.5 JPY", "19.99", "-5", "EUR 19.99", "abc"])
def test_a_price_that_cannot_be_read_exactly_is_refused(text):
    with pytest.raises(ValueError):
        parse_price(text)


# ---- bad rows: each reported, the good ones still go in ---------------------------------------------------
def test_every_bad_row_is_reported_with_row_column_and_reason_and_good_rows_go_in():
    aurora, other = demo_products()[0], demo_products()[1]
    rows = rows_of(aurora) + rows_of(other)
    rows[1]["price"] = "cheap"  # row 3
    rows[2]["attributes"] = "colour=purple"  # row 4: not an option
    rows[3]["weight_grams"] = "-1"  # row 5 (the other product's first row)
    result = checked(to_csv(rows))
    found = {(p.row, p.column) for p in result.problems}
    assert found == {(3, "price"), (4, "attributes"), (5, "weight_grams")}
    reasons = {p.row: p.reason for p in result.problems}
    assert "purple" not in reasons[4] and "must be one of" in reasons[4]
    planned = {p.product["product_id"]: p for p in result.to_import}
    assert [v["sku"] for v in planned[aurora["product_id"]].product["variants"]] == ["AUR-BLA"]
    assert planned[aurora["product_id"]].rows == [2]
    assert planned[other["product_id"]].rows == [r for r in range(6, 6 + len(other["variants"]) - 1)]
    assert result.rows_invalid == 3


def test_a_product_level_problem_stops_all_of_its_rows():
    aurora = demo_products()[0]
    rows = rows_of(aurora)
    for row in rows:
        row["brand"] = "Nobody"
    result = checked(to_csv(rows))
    assert result.to_import == []
    assert {(p.row, p.column) for p in result.problems} == {(2, "brand"), (3, "brand"), (4, "brand")}
    assert "not an active brand" in result.problems[0].reason


def test_rows_of_one_product_must_agree_on_its_columns_or_leave_them_empty():
    rows = rows_of(demo_products()[0])
    rows[1]["name"] = ""  # empty after the first row: the same
    rows[2]["category"] = "home/kitchen/coffee"  # row 4 differs
    result = checked(to_csv(rows))
    assert [(p.row, p.column) for p in result.problems] == [(4, "category")]
    assert "row 2" in result.problems[0].reason
    assert len(result.to_import[0].product["variants"]) == 2


def test_skus_must_be_unique_in_the_file_and_not_belong_to_another_product():
    rows = rows_of(demo_products()[0])
    rows[1]["sku"] = rows[0]["sku"]
    claims = {"AUR-NAV": SkuClaim(sku="AUR-NAV", product_id="someone-else")}
    result = checked(to_csv(rows), claims=claims)
    assert {(p.row, p.column) for p in result.problems} == {(3, "sku"), (4, "sku")}
    assert "also on row 2" in result.problems[0].reason and "someone-else" in result.problems[1].reason


def test_required_cells_unknown_attributes_and_short_rows():
    rows = rows_of(demo_products()[0])
    rows[0]["variant_name"] = ""
    rows[1]["product_attributes"] = "madeup=1"
    text = to_csv(rows) + "aurora-anc-headphones,too,short\n"
    result = checked(text)
    found = {(p.row, p.column) for p in result.problems}
    assert (2, "variant_name") in found and (5, None) in found
    assert any(p.column == "product_attributes" and "not a defined attribute" in p.reason for p in result.problems)


def test_a_new_product_needs_its_name_brand_and_category():
    rows = rows_of(demo_products()[0])
    for row in rows:
        row["name"] = ""
    result = checked(to_csv(rows))
    assert result.to_import == [] and {(p.row, p.column) for p in result.problems} == {
        (2, "name"),
        (3, "name"),
        (4, "name"),
    }


# ---- the file as a whole -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("product_id,name,sku\n", "is required"),
        (",".join([*HEADER, "colour"]) + "\nx\n", "not a known column"),
        (",".join([*HEADER, "sku"]) + "\nx\n", "more than once"),
        (",".join(HEADER) + "\n", "no rows"),
    ],
)
def test_a_file_whose_header_or_shape_is_wrong_is_refused_whole(text, needle):
    with pytest.raises(CsvInvalid) as refused:
        parse(text)
    assert needle in refused.value.detail or any(needle in e["problem"] for e in refused.value.extensions["errors"])


def test_header_names_are_case_and_space_insensitive_and_a_bom_is_ignored():
    text = "\ufeff" + demo_csv().replace("variant_name", "Variant Name", 1).replace("product_id", "Product_ID", 1)
    assert checked(text).problems == []


def test_too_many_rows_refuses_the_file():
    row = ",".join(["p", "n", "b", "c", "", "", "", "", "", "S", "v", "1", "1", "", ""])
    with pytest.raises(CsvInvalid) as refused:
        parse(",".join(HEADER) + "\n" + "\n".join([row] * (MAX_ROWS + 1)))
    assert str(MAX_ROWS) in refused.value.detail
