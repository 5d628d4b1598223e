"""Batch product generation from a CSV file: read it, check EVERY row, and plan what to import.

One row per SKU; a product's columns are repeated on each of its rows (or left empty after its
first row). Columns (header names are case-insensitive; spaces count as underscores):

==================== ========= =====================================================================
column               required  meaning
==================== ========= =====================================================================
product_id           yes       the product's id (``aurora-anc-headphones``)
name                 new*      the product's name
brand                new*      an active brand's name or slug
category             new*      an active category's path (``electronics/audio/headphones``)
description                    the product's description
currency                       ISO code, default EUR (or the stored product's)
status                         ``active`` (default) or ``retired``
images                         image URLs separated by ``|``
product_attributes             the product's attributes, ``key=value;key=value``
sku                  yes       the SKU (``AUR-BLA``)
variant_name         yes       the variant's name (``Black``)
price                yes       minor units (``19900``) or a decimal with its currency (``199.00 EUR``)
weight_grams         yes       the shipping weight in grams
barcode                        EAN/UPC, 8 to 14 digits
attributes                     the SKU's attributes, ``key=value;key=value``
==================== ========= =====================================================================

(*) required for a product that does not exist yet. Product columns are read from a product's first
row; later rows may leave them empty or must repeat them unchanged.

Rows are numbered as a spreadsheet shows them: the header is row 1. A column left out of the file
keeps the stored value of a product that exists (or the default); a product's SKUs that the file
does not list are kept: an import adds and changes, it never removes (retire a SKU for that).
Importing the same file twice changes nothing the second time: products whose result equals what
is stored are reported as unchanged and not sent to the workflow.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from commerce.catalog.admin_models import SkuClaim
from commerce.catalog.conform import conform
from commerce.catalog.errors import CsvInvalid
from commerce.catalog.models import Product, ProductInput
from commerce.catalog.reference import ReferenceData

MAX_ROWS = 5_000
MAX_PROBLEMS = 1_000  # reported; the count says how many there were
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"})
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


@dataclass(frozen=True)
class Column:
    name: str
    level: Literal["product", "variant"]
    required: bool = False


COLUMNS = {
    c.name: c
    for c in (
        Column("product_id", "product", required=True),
        Column("name", "product"),
        Column("brand", "product"),
        Column("category", "product"),
        Column("description", "product"),
        Column("currency", "product"),
        Column("status", "product"),
        Column("images", "product"),
        Column("product_attributes", "product"),
        Column("sku", "variant", required=True),
        Column("variant_name", "variant", required=True),
        Column("price", "variant", required=True),
        Column("weight_grams", "variant", required=True),
        Column("barcode", "variant"),
        Column("attributes", "variant"),
    )
}
VARIANT_COLUMNS = frozenset(c.name for c in COLUMNS.values() if c.level == "variant")
# a model field (ProductInput / Variant) -> the column it comes from
PRODUCT_FIELD_COLUMN = {"attributes": "product_attributes"}
VARIANT_FIELD_COLUMN = {"name": "variant_name"}
_PRICE = re.compile(r"^(?P<amount>\d{1,9}(\.\d{1,3})?)\s*(?P<currency>[A-Za-z]{3})$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RowProblem(BaseModel):
    row: int
    column: str | None
    reason: str
    product_id: str | None = None
    sku: str | None = None


@dataclass
class FileRow:
    row: int
    cells: dict[str, str]
    variant: dict[str, Any]


@dataclass
class FileProduct:
    product_id: str
    fields: dict[str, Any]  # product-level values from the file (columns it has)
    rows: list[FileRow] = field(default_factory=list)
    currency_from_price: str | None = None


@dataclass
class ParsedFile:
    columns: list[str]
    rows_total: int
    products: list[FileProduct]
    problems: list[RowProblem]


def _header(record: list[str]) -> list[str]:
    names = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in record]
    errors: list[dict[str, str]] = []
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append({"column": name, "problem": "appears more than once"})
    for name in names:
        if name not in COLUMNS:
            errors.append({"column": name or "(empty)", "problem": "is not a known column"})
    for column in COLUMNS.values():
        if column.required and column.name not in names:
            errors.append({"column": column.name, "problem": "is required"})
    if errors:
        raise CsvInvalid(
            "The header row is not valid; see 'errors' (the columns are listed in 'columns').",
            errors=errors,
            columns=list(COLUMNS),
        )
    return names


def exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMALS else 2


def parse_price(text: str) -> tuple[int, str | None]:
    """``19900`` -> (19900, None); ``199.00 EUR`` -> (19900, "EUR"). ValueError with the reason."""
    if text.isdigit():
        return int(text), None
    match = _PRICE.match(text)
    if match is None:
        raise ValueError("must be minor units (19900) or a decimal with its currency (199.00 EUR)")
    currency = match["currency"].upper()
    try:
        minor = Decimal(match["amount"]).scaleb(exponent(currency))
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise ValueError("is not a number") from error
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency} has {exponent(currency)} decimals")
    return int(minor), currency


def parse_pairs(text: str) -> dict[str, str]:
    """``colour=black;size=M`` -> {"colour": "black", "size": "M"}. ValueError with the reason."""
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _KEY.match(key) or not value:
            raise ValueError(f"'{part}' is not key=value (a key is lower-case letters, digits and _)")
        if key in pairs:
            raise ValueError(f"'{key}' appears twice")
        pairs[key] = value
    return pairs


def _variant(cells: dict[str, str], problem: Any) -> dict[str, Any]:
    variant: dict[str, Any] = {"sku": cells["sku"], "name": cells["variant_name"]}
    try:
        variant["price"], _ = parse_price(cells["price"])
    except ValueError as error:
        problem("price", f"price {error}")
    weight = cells["weight_grams"]
    if weight.isdigit():
        variant["weight_grams"] = int(weight)
    else:
        problem("weight_grams", "weight_grams must be a whole number of grams")
    if "barcode" in cells:
        variant["barcode"] = cells["barcode"] or None
    if "attributes" in cells:
        try:
            variant["attributes"] = parse_pairs(cells["attributes"])
        except ValueError as error:
            problem("attributes", f"attributes: {error}")
    return variant


def _product_fields(cells: dict[str, str], problem: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {k: cells[k] for k in ("name", "brand", "category") if cells.get(k)}
    if "description" in cells:
        fields["description"] = cells["description"]
    if cells.get("currency"):
        fields["currency"] = cells["currency"].upper()
    if cells.get("status"):
        fields["status"] = cells["status"].lower()
    if "images" in cells:
        fields["images"] = [u.strip() for u in cells["images"].split("|") if u.strip()]
    if "product_attributes" in cells:
        try:
            fields["attributes"] = parse_pairs(cells["product_attributes"])
        except ValueError as error:
            problem("product_attributes", f"product_attributes: {error}")
    return fields


def parse(text: str) -> ParsedFile:
    """Every row read and checked on its own and against the others in the file (the header and the
    row count are checked first: those refuse the whole file with CsvInvalid)."""
    records = [(n + 1, r) for n, r in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))))]
    records = [(n, r) for n, r in records if any(cell.strip() for cell in r)]
    if not records:
        raise CsvInvalid("The file is empty: it needs a header row and at least one row.", columns=list(COLUMNS))
    (_, head), data = records[0], records[1:]
    columns = _header(head)
    if not data:
        raise CsvInvalid("The file has a header but no rows.")
    if len(data) > MAX_ROWS:
        raise CsvInvalid(f"The file has {len(data)} rows; an import takes at most {MAX_ROWS}: split it.")
    problems: list[RowProblem] = []
    products: dict[str, FileProduct] = {}
    first_row_of_sku: dict[str, int] = {}
    for number, record in data:
        cells_before = len(problems)
        cells = {name: value.strip() for name, value in zip(columns, record, strict=False)}
        pid, sku = cells.get("product_id") or None, cells.get("sku") or None

        def problem(column: str | None, reason: str, n: int = number, p: str | None = pid, s: str | None = sku) -> None:
            problems.append(RowProblem(row=n, column=column, reason=reason, product_id=p, sku=s))

        if len(record) != len(columns):
            problem(None, f"the row has {len(record)} cells; the header has {len(columns)}")
            continue
        known = products.get(pid or "")
        for column in COLUMNS.values():
            if column.required and not cells.get(column.name):
                problem(column.name, f"{column.name} is required")
        if len(problems) > cells_before:
            continue
        assert pid is not None and sku is not None
        if sku in first_row_of_sku:
            problem("sku", f"SKU {sku} is also on row {first_row_of_sku[sku]}")
            continue
        variant = _variant(cells, problem)
        fields = _product_fields(cells, problem)
        if known is not None:
            for name, value in fields.items():
                column_name = PRODUCT_FIELD_COLUMN.get(name, name)
                if cells.get(column_name) and value != known.fields.get(name):
                    first = known.rows[0].row
                    problem(column_name, f"{column_name} differs from the product's first row (row {first})")
        if len(problems) > cells_before:
            continue
        price_currency = parse_price(cells["price"])[1]
        product_currency = (known.fields if known else fields).get("currency")
        earlier_currency = known.currency_from_price if known else None
        if price_currency and product_currency and price_currency != product_currency:
            problem("price", f"the price is in {price_currency}; the product's currency is {product_currency}")
            continue
        if price_currency and earlier_currency not in (None, price_currency):
            problem("price", f"the price is in {price_currency}; the product's other rows are in {earlier_currency}")
            continue
        first_row_of_sku[sku] = number
        if known is None:
            known = products[pid] = FileProduct(product_id=pid, fields=fields)
        known.currency_from_price = known.currency_from_price or price_currency
        known.rows.append(FileRow(row=number, cells=cells, variant=variant))
    return ParsedFile(columns=columns, rows_total=len(data), products=list(products.values()), problems=problems)


# ---- the plan: what the file would change -----------------------------------------------------------
@dataclass
class PlannedProduct:
    product: dict[str, Any]  # a valid ProductInput, as JSON
    rows: list[int]


@dataclass
class ImportPlan:
    rows_total: int
    to_import: list[PlannedProduct]
    unchanged: list[PlannedProduct]
    problems: list[RowProblem]

    @property
    def rows_invalid(self) -> int:
        return len({p.row for p in self.problems})


def _stored_input(product: Product) -> dict[str, Any]:
    return ProductInput.model_validate(
        {k: v for k, v in product.model_dump(mode="json").items() if k in ProductInput.model_fields}
    ).model_dump(mode="json")


def _merged(file: FileProduct, rows: list[FileRow], stored: Product | None) -> dict[str, Any]:
    base: dict[str, Any] = _stored_input(stored) if stored else {"product_id": file.product_id}
    product = {**base, **file.fields}
    if "currency" not in file.fields and stored is None and file.currency_from_price:
        product["currency"] = file.currency_from_price
    variants = {v["sku"]: v for v in base.get("variants", [])}
    for row in rows:
        sku = row.variant["sku"]
        variants[sku] = {**variants.get(sku, {}), **row.variant}
    product["variants"] = list(variants.values())
    return product


def _locate(loc: tuple[str | int, ...], product: dict[str, Any], rows: list[FileRow]) -> tuple[list[int], str | None]:
    """The file rows and column a problem at ``loc`` (a ProductInput location) belongs to."""
    if loc[:1] == ("variants",) and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(product["variants"]):
        sku = product["variants"][loc[1]]["sku"]
        row = next((r for r in rows if r.variant["sku"] == sku), None)
        name = str(loc[2]) if len(loc) > 2 else None
        column = VARIANT_FIELD_COLUMN.get(name, name) if name else None
        if row is not None:
            return [row.row], column
        return [r.row for r in rows], f"stored SKU {sku}: {column}" if column else None
    name = str(loc[0]) if loc else None
    return [r.row for r in rows], PRODUCT_FIELD_COLUMN.get(name, name) if name else None


def _check(
    file: FileProduct, rows: list[FileRow], stored: Product | None, reference: ReferenceData
) -> tuple[dict[str, Any] | None, list[tuple[list[int], str | None, str]]]:
    """The product to store and the problems of its rows: (rows, column, reason)."""
    merged = _merged(file, rows, stored)
    conformed, found = conform(merged, reference)
    problems = [(*_locate(loc, merged, rows), reason) for loc, reason in found]
    if file.currency_from_price and merged.get("currency", "EUR") != file.currency_from_price:
        reason = f"prices are in {file.currency_from_price}; the product's currency is {merged.get('currency', 'EUR')}"
        problems.append(([r.row for r in rows], "price", reason))
    try:
        product = ProductInput.model_validate(conformed)
    except ValidationError as error:
        for e in error.errors():
            located = _locate(tuple(e["loc"]), conformed, rows)
            problems.append((*located, f"{'.'.join(map(str, e['loc']))}: {e['msg']}"))
        return None, problems
    return (product.model_dump(mode="json") if not problems else None), problems


def plan(
    parsed: ParsedFile,
    reference: ReferenceData,
    stored: dict[str, Product],
    claims: dict[str, SkuClaim],
) -> ImportPlan:
    """What importing the file would do: products to store (good rows merged over what is stored),
    products the file leaves as they are, and a problem for every bad row. A bad SKU row is left
    out and the product's other rows still go in; a product-level problem stops all its rows."""
    problems = list(parsed.problems)
    to_import: list[PlannedProduct] = []
    unchanged: list[PlannedProduct] = []
    for file in parsed.products:

        def report(rows: list[int], column: str | None, reason: str, file: FileProduct = file) -> None:
            for number in rows:
                sku = next((r.variant["sku"] for r in file.rows if r.row == number), None)
                problems.append(
                    RowProblem(row=number, column=column, reason=reason, product_id=file.product_id, sku=sku)
                )

        rows = []
        for row in file.rows:
            claim = claims.get(row.variant["sku"])
            if claim is not None and claim.product_id != file.product_id:
                report([row.row], "sku", f"SKU {claim.sku} belongs to product {claim.product_id}")
            else:
                rows.append(row)
        stored_product = stored.get(file.product_id)
        while rows:  # a bad SKU row is left out and the others checked again; each pass drops one or stops
            product, found = _check(file, rows, stored_product, reference)
            if not found and product is not None:
                planned = PlannedProduct(product=product, rows=[r.row for r in rows])
                same = stored_product is not None and product == _stored_input(stored_product)
                (unchanged if same else to_import).append(planned)
                break
            for located, column, reason in found:
                report(located, column, reason)
            bad_rows = {n for located, _, _ in found for n in located}
            if any(len(located) > 1 or column not in VARIANT_COLUMNS for located, column, _ in found):
                break  # a product-level problem: none of its rows can go in
            rows = [r for r in rows if r.row not in bad_rows]
    problems.sort(key=lambda p: (p.row, p.column or ""))
    return ImportPlan(rows_total=parsed.rows_total, to_import=to_import, unchanged=unchanged, problems=problems)
