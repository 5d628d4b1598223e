"""Catalogue use cases. Pure logic over the ports; no AWS here."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from commerce.catalog.errors import (
    CollectionNotFound,
    ImportKeyReused,
    ImportNotFound,
    ProductNotFound,
    SkuTaken,
    UnknownProducts,
)
from commerce.catalog.models import ImportOutcome, Product, ProductInput
from commerce.catalog.ports import (
    EventPublisher,
    ImportRecords,
    ProductRepository,
    ReferenceRepository,
    WorkflowStarter,
)
from commerce.catalog.reference import Collection, CollectionInput, ReferenceData, validate_change
from commerce.common.clock import iso, new_id
from commerce.common.errors import InvalidInput

SOURCE = "commerce.catalog"
MAX_IMPORT_PRODUCTS = 500


class CatalogService:
    def __init__(
        self,
        products: ProductRepository,
        events: EventPublisher | None = None,
        imports: WorkflowStarter | None = None,
        reference: ReferenceRepository | None = None,
    ) -> None:
        self._products = products
        self._events = events
        self._imports = imports
        self._reference = reference

    # ---- storefront reads -------------------------------------------------------------------
    def get_product(self, product_id: str) -> Product:
        product = self._products.get(product_id)
        if product is None or product.status != "active":
            raise ProductNotFound(f"There is no product '{product_id}'.", product_id=product_id)
        return product

    def find_product(self, product_id: str) -> Product | None:
        """Any status; for other contexts (search) that must also see retired products."""
        return self._products.get(product_id)

    # ---- reference data and collections ----------------------------------------------------------
    def reference(self) -> ReferenceData:
        assert self._reference is not None
        return self._reference.load()

    def update_reference(self, change: ReferenceData) -> ReferenceData:
        """Upsert categories, brands, manufacturers, suppliers and attributes; returns the result."""
        assert self._reference is not None
        validate_change(self._reference.load(), change)
        self._reference.save(change)
        return self._reference.load()

    def put_collection(self, slug: str, change: CollectionInput) -> Collection:
        assert self._reference is not None
        unknown = [i for i in change.product_ids if self._products.get(i) is None]
        if unknown:
            raise UnknownProducts(f"No such product(s): {', '.join(unknown)}.", product_ids=unknown)
        collection = Collection(**change.model_dump(), slug=slug, updated_at=iso())
        self._reference.put_collection(collection)
        return collection

    def collection(self, slug: str) -> Collection:
        assert self._reference is not None
        found = self._reference.get_collection(slug)
        if found is None:
            raise CollectionNotFound(f"There is no collection '{slug}'.", slug=slug)
        return found

    # ---- writes -----------------------------------------------------------------------------
    def upsert_product(self, raw: dict[str, Any]) -> ImportOutcome:
        """Validate and store one product, then announce it. Invalid input is an outcome, not a crash."""
        product_id = str(raw.get("product_id", "?")) if isinstance(raw, dict) else "?"
        try:
            product_input = ProductInput.model_validate(raw)
        except ValidationError as error:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])
            return ImportOutcome(product_id=product_id, status="rejected", reason=reasons)
        try:
            product = self._products.save(product_input, iso())
        except SkuTaken as error:
            return ImportOutcome(product_id=product_id, status="rejected", reason=error.detail)
        self.announce(product)
        return ImportOutcome(product_id=product.product_id, status="imported")

    def announce(self, product: Product) -> None:
        """ProductUpserted or ProductRetired for a stored product (search follows these)."""
        if self._events is None:
            return
        detail_type = "ProductUpserted" if product.status == "active" else "ProductRetired"
        self._events.publish(
            SOURCE,
            detail_type,
            {
                "event_id": f"{product.product_id}:v{product.version}",
                "occurred_at": product.updated_at,
                "product_id": product.product_id,
                "version": product.version,
                "status": product.status,
                "skus": [v.sku for v in product.variants],
            },
        )

    def start_import(self, products: list[dict[str, Any]], idempotency_key: str | None) -> str:
        if not products:
            raise InvalidInput("An import needs at least one product.")
        if len(products) > MAX_IMPORT_PRODUCTS:
            raise InvalidInput(f"An import takes at most {MAX_IMPORT_PRODUCTS} products; split the file.")
        if idempotency_key:
            import_id = "imp_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:26]
        else:
            import_id = new_id("imp")
        assert self._imports is not None
        started = self._imports.start(import_id, {"import_id": import_id, "products": products})
        if not started:
            raise ImportKeyReused("This Idempotency-Key was used for a different import.", import_id=import_id)
        return import_id

    def describe_import(self, import_id: str) -> dict[str, Any]:
        assert self._imports is not None
        record = self._products.get_import(import_id) if isinstance(self._products, ImportRecords) else None
        if record is not None:  # a CSV import (commerce.catalog.csv_import): its report and executions
            from commerce.catalog.imports import csv_progress

            return csv_progress(record, self._imports)
        execution = self._imports.describe(import_id)
        if execution is None:
            raise ImportNotFound(f"There is no import '{import_id}'.", import_id=import_id)
        results = [ImportOutcome.model_validate(r) for r in (execution.get("output") or {}).get("results", [])]
        counts = {status: sum(r.status == status for r in results) for status in ("imported", "rejected", "failed")}
        return {
            "import_id": import_id,
            "status": execution["status"],
            "started_at": execution["started_at"],
            "counts": counts,
            "problems": [r.model_dump() for r in results if r.status != "imported"],
        }
