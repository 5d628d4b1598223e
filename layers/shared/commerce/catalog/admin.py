"""Catalogue management for the back office (MANAGE_PRODUCTS): create, edit and retire reference
entries (categories, brands, manufacturers, suppliers, attributes), products and SKUs.

- Creating and editing reuse the catalogue's validation: the definitions' own models, the
  reference data's consistency (``validate_change``: a category's parent, a brand's manufacturer),
  and for products the product model plus ``conform`` (an active brand and category, defined and
  typed attributes).
- Retiring is refused (409 STILL_REFERENCED, with who still uses it) while something active uses
  the entry: a category with active sub-categories or active products in its subtree, a brand of
  active products, a manufacturer of active brands, an attribute active products carry, a SKU with
  units reserved for orders. Retired entries drop out of the storefront and out of what new
  products may use; they stay readable here and keep their key (it is never reused).
- Edits may name the version they read (``If-Match`` or ``version``); a stale one is refused with
  412 VERSION_MISMATCH and the current version. Without one, the last edit wins.
- Product writes announce ProductUpserted/ProductRetired as imports do, so search follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from commerce.catalog.admin_models import (
    KINDS,
    EntityKind,
    ProductAdminView,
    ProductPage,
    Reference,
    SkuClaim,
    SkuPage,
    SkuView,
    StoredEntry,
    sku_view,
)
from commerce.catalog.conform import conform
from commerce.catalog.errors import (
    AlreadyRetired,
    EntryExists,
    EntryNotFound,
    InvalidReference,
    KeyMismatch,
    LastVariant,
    ProductNotFound,
    SkuNotFound,
    StillReferenced,
    VersionMismatch,
)
from commerce.catalog.models import Product, ProductInput, Variant
from commerce.catalog.ports import ProductStore, ReferenceEntries, StockReader
from commerce.catalog.reference import ReferenceData, validate_change
from commerce.catalog.service import CatalogService
from commerce.common.clock import iso
from commerce.search.text import slugify

SHOWN_REFERENCES = 20


def check_version(expected: int | None, current: int, **ids: str) -> None:
    if expected is not None and expected != current:
        raise VersionMismatch(
            f"This was changed since you read it (version {expected}); it is now version {current}.",
            current_version=current,
            **ids,
        )


def _reference(type_: str, ids: list[str]) -> Reference:
    return Reference(type=type_, count=len(ids), ids=sorted(ids)[:SHOWN_REFERENCES])


class CatalogueAdmin:
    def __init__(
        self,
        catalog: CatalogService,
        products: ProductStore,
        reference: ReferenceEntries,
        stock: StockReader | None = None,
        now: Callable[[], str] = iso,
    ) -> None:
        self._catalog, self._products, self._reference, self._stock, self._now = (
            catalog,
            products,
            reference,
            stock,
            now,
        )

    # ---- reference entries -------------------------------------------------------------------------
    def entries(self, kind: EntityKind) -> list[StoredEntry]:
        return sorted(self._reference.entries(kind.name), key=lambda e: e.key)

    def entry(self, kind: EntityKind, key: str) -> StoredEntry:
        found = self._reference.entry(kind.name, key)
        if found is None:
            raise EntryNotFound(f"There is no {kind.label} '{key}'.", kind=kind.name, key=key)
        return found

    def create_entry(self, kind: EntityKind, definition: BaseModel) -> StoredEntry:
        key = str(getattr(definition, kind.key))
        validate_change(self._reference.load(), ReferenceData.model_validate({kind.name: [definition]}))
        data = definition.model_dump(mode="json", exclude_none=True)
        return self._reference.create_entry(kind.name, key, data, self._now())

    def update_entry(
        self, kind: EntityKind, key: str, edit: BaseModel, if_match: int | None
    ) -> tuple[StoredEntry, StoredEntry]:
        """(before, after). The key in the body, if any, must be the one in the path."""
        body = edit.model_dump(mode="json", exclude_none=True)
        expected = _expected(if_match, body.pop("version", None))
        if body.get(kind.key, key) != key:
            raise KeyMismatch(
                f"The body's {kind.key} '{body[kind.key]}' is not the one in the path ('{key}'); keys never change.",
                field=kind.key,
            )
        before = self.entry(kind, key)
        check_version(expected, before.state.version, **{kind.key: key})
        definition = kind.definition.model_validate(body)
        validate_change(self._reference.load(), ReferenceData.model_validate({kind.name: [definition]}))
        data = definition.model_dump(mode="json", exclude_none=True)
        after = self._reference.update_entry(kind.name, key, data, self._now(), expected or before.state.version)
        return before, after

    def retire_entry(self, kind: EntityKind, key: str, if_match: int | None) -> tuple[StoredEntry, StoredEntry]:
        before = self.entry(kind, key)
        check_version(if_match, before.state.version, **{kind.key: key})
        if before.state.status == "retired":
            raise AlreadyRetired(f"The {kind.label} '{key}' is already retired.", kind=kind.name, key=key)
        references = self.references(kind, before)
        if references:
            uses = ", ".join(f"{r.count} {r.type}" for r in references)
            raise StillReferenced(
                f"The {kind.label} '{key}' is still used by {uses}; change or retire those first.",
                references=[r.model_dump() for r in references],
            )
        after = self._reference.retire_entry(kind.name, key, self._now(), if_match or before.state.version)
        return before, after

    def references(self, kind: EntityKind, entry: StoredEntry) -> list[Reference]:
        """What active still uses the entry."""
        active, key = self._reference.load(), entry.key
        names = {key, slugify(str(entry.data.get("name", "")))} if kind.name == "brands" else {key}
        found: list[Reference] = []
        if kind.name == "categories":
            children = [c.path for c in active.categories if c.parent == key]
            if children:
                found.append(_reference("categories", children))
        if kind.name == "manufacturers":
            brands = [b.slug for b in active.brands if b.manufacturer == key]
            if brands:
                found.append(_reference("brands", brands))
        if kind.name in ("categories", "brands", "attributes"):
            products = [p.product_id for p in self._products.active_products() if _uses(kind.name, names, p)]
            if products:
                found.append(_reference("products", products))
        return found  # suppliers: nothing refers to them yet (procurement will)

    # ---- products ----------------------------------------------------------------------------------
    def products(self, prefix: str | None, status: str | None, limit: int, cursor: str | None) -> ProductPage:
        items, next_cursor = self._products.product_page(prefix, status, limit, cursor)
        return ProductPage(items=items, next_cursor=next_cursor)

    def product(self, product_id: str) -> ProductAdminView:
        found = self._products.get(product_id)
        if found is None:
            raise ProductNotFound(f"There is no product '{product_id}'.", product_id=product_id)
        listed = {v.sku for v in found.variants}
        retired = [v for v in self._products.retired_variants(product_id) if v.get("sku") not in listed]
        return ProductAdminView(**found.model_dump(), retired_variants=[Variant.model_validate(v) for v in retired])

    def create_product(self, product: ProductInput) -> Product:
        checked = self._conformed(product.model_dump(mode="json"))
        return self._store(checked, expected_version=0)

    def update_product(
        self, product_id: str, edit: BaseModel, if_match: int | None
    ) -> tuple[ProductAdminView, Product]:
        body = edit.model_dump(mode="json")
        expected = _expected(if_match, body.pop("version", None))
        if body["product_id"] != product_id:
            raise KeyMismatch(
                f"The body's product_id '{body['product_id']}' is not the one in the path ('{product_id}').",
                field="product_id",
            )
        before = self.product(product_id)
        check_version(expected, before.version, product_id=product_id)
        checked = self._conformed(body)
        kept = {v.sku for v in checked.variants}
        dropped = [v for v in before.variants if v.sku not in kept]
        return before, self._store(checked, expected or before.version, before, dropped)

    def retire_product(self, product_id: str, if_match: int | None) -> tuple[ProductAdminView, Product]:
        before = self.product(product_id)
        check_version(if_match, before.version, product_id=product_id)
        if before.status == "retired":
            raise AlreadyRetired(f"The product '{product_id}' is already retired.", product_id=product_id)
        retired = ProductInput.model_validate(
            {**_input_fields(before), "status": "retired"}
        )  # no reference check: a product whose brand was retired can still be taken off sale
        return before, self._store(retired, if_match or before.version)

    # ---- SKUs (a SKU is a product's variant; changing one changes its product) -----------------------
    def skus(self, prefix: str | None, limit: int, cursor: str | None) -> SkuPage:
        claims, next_cursor = self._products.claim_page(prefix, limit, cursor)
        products = self._products.get_many(sorted({c.product_id for c in claims}))
        return SkuPage(items=[sku_view(c, products.get(c.product_id)) for c in claims], next_cursor=next_cursor)

    def sku(self, sku: str) -> SkuView:
        claim = self._claim(sku)
        return sku_view(claim, self._products.get(claim.product_id))

    def create_sku(self, product_id: str, variant: Variant, if_match: int | None) -> tuple[ProductAdminView, SkuView]:
        before = self.product(product_id)
        check_version(if_match, before.version, product_id=product_id)
        claim = self._products.claims([variant.sku]).get(variant.sku)
        listed = any(v.sku == variant.sku for v in before.variants)
        if claim is not None and (claim.product_id != product_id or listed):  # a retired one of its own comes back
            raise EntryExists(
                f"SKU {variant.sku} already exists (product {claim.product_id}); SKUs are never reused.",
                sku=variant.sku,
                product_id=claim.product_id,
            )
        body = {**_input_fields(before), "variants": [*_dumped(before.variants), variant.model_dump(mode="json")]}
        stored = self._store(self._conformed(body), if_match or before.version, before)
        return before, sku_view(SkuClaim(sku=variant.sku, product_id=product_id), stored)

    def update_sku(self, sku: str, edit: BaseModel, if_match: int | None) -> tuple[SkuView, SkuView]:
        body = edit.model_dump(mode="json")
        expected = _expected(if_match, body.pop("version", None))
        if body["sku"] != sku:
            raise KeyMismatch(f"The body's sku '{body['sku']}' is not the one in the path ('{sku}').", field="sku")
        claim, product = self._active_sku(sku)
        check_version(expected, product.version, sku=sku)
        variants = [body if v.sku == sku else v.model_dump(mode="json") for v in product.variants]
        body = {**_input_fields(product), "variants": variants}
        stored = self._store(self._conformed(body), expected or product.version, product)
        return sku_view(claim, product), sku_view(claim, stored)

    def retire_sku(self, sku: str, if_match: int | None) -> tuple[SkuView, SkuView]:
        claim, product = self._active_sku(sku)
        check_version(if_match, product.version, sku=sku)
        if len(product.variants) == 1:
            raise LastVariant(
                f"{sku} is the only SKU of {product.product_id}; retire the product instead.",
                sku=sku,
                product_id=product.product_id,
            )
        retired = next(v for v in product.variants if v.sku == sku)
        body = {**_input_fields(product), "variants": [v for v in _dumped(product.variants) if v["sku"] != sku]}
        stored = self._store(ProductInput.model_validate(body), if_match or product.version, product, [retired])
        after = SkuClaim(sku=sku, product_id=product.product_id, status="retired", variant=retired.model_dump())
        return sku_view(claim, product), sku_view(after, stored)

    # ---- shared --------------------------------------------------------------------------------------
    def _claim(self, sku: str) -> SkuClaim:
        claim = self._products.claims([sku]).get(sku)
        if claim is None:
            raise SkuNotFound(f"There is no SKU '{sku}'.", sku=sku)
        return claim

    def _active_sku(self, sku: str) -> tuple[SkuClaim, ProductAdminView]:
        claim = self._claim(sku)
        product = self.product(claim.product_id)
        if sku not in {v.sku for v in product.variants}:
            raise AlreadyRetired(f"SKU {sku} is retired.", sku=sku)
        return claim, product

    def _conformed(self, body: dict[str, Any]) -> ProductInput:
        conformed, problems = conform(body, self._reference.load())
        if problems:
            raise InvalidReference(
                "The product refers to reference data that does not exist or is retired; see 'errors'.",
                errors=[{"loc": list(loc), "problem": reason} for loc, reason in problems],
            )
        return ProductInput.model_validate(conformed)

    def _store(
        self,
        product: ProductInput,
        expected_version: int,
        before: ProductAdminView | None = None,
        dropped: list[Variant] | None = None,
    ) -> Product:
        """Store the product if still at ``expected_version`` (0: new), keeping the list of its retired
        variants up to date; SKUs it drops are retired, refused while units are reserved."""
        dropped = dropped or []
        for variant in dropped:
            reserved = self._stock.reserved(variant.sku) if self._stock else 0
            if reserved:
                raise StillReferenced(
                    f"{variant.sku} has {reserved} units reserved for orders not yet dispatched; "
                    "retire it once they are.",
                    references=[Reference(type="reservations", count=reserved, ids=[variant.sku]).model_dump()],
                )
        retired_variants = None
        if before is not None:
            listed = {v.sku for v in product.variants}
            previous = [v for v in _dumped(before.retired_variants) if v["sku"] not in listed]
            retired_variants = previous + _dumped(dropped)
        stored = self._products.save_checked(product, self._now(), expected_version, retired_variants)
        self._catalog.announce(stored)
        return stored


def _expected(if_match: int | None, body_version: Any) -> int | None:
    if if_match is not None and body_version is not None and int(body_version) != if_match:
        raise KeyMismatch("If-Match and the body's version differ; send one.", field="version")
    return if_match if if_match is not None else (int(body_version) if body_version is not None else None)


def _dumped(variants: list[Variant]) -> list[dict[str, Any]]:
    return [v.model_dump(mode="json") for v in variants]


def _input_fields(product: Product) -> dict[str, Any]:
    return {k: v for k, v in product.model_dump(mode="json").items() if k in ProductInput.model_fields}


def _uses(kind: str, keys: set[str], product: Product) -> bool:
    if kind == "categories":
        return any(product.category == key or product.category.startswith(key + "/") for key in keys)
    if kind == "brands":
        return slugify(product.brand) in keys
    return any(key in product.attributes or any(key in v.attributes for v in product.variants) for key in keys)


def kind_of(name: str) -> EntityKind:
    return KINDS[name]
