"""Catalogue use cases. Pure logic over the ports; no AWS here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from pydantic import ValidationError

from commerce.catalog.errors import ImportKeyReused, ImportNotFound, InvalidCursor, ProductNotFound, SkuTaken
from commerce.catalog.models import ImportOutcome, Product, ProductInput, ProductPage
from commerce.catalog.ports import EventPublisher, ProductRepository, WorkflowStarter
from commerce.common.clock import iso, new_id
from commerce.common.errors import InvalidInput

SOURCE = "commerce.catalog"
MAX_IMPORT_PRODUCTS = 500
CURSOR_KEYS = frozenset({"pk", "sk", "gsi1pk", "gsi1sk"})


class CatalogService:
    def __init__(
        self,
        products: ProductRepository,
        events: EventPublisher | None = None,
        imports: WorkflowStarter | None = None,
    ) -> None:
        self._products = products
        self._events = events
        self._imports = imports

    # ---- storefront reads -------------------------------------------------------------------
    def list_products(self, limit: int, cursor: str | None) -> ProductPage:
        items, after = self._products.list_active(limit, decode_cursor(cursor) if cursor else None)
        return ProductPage(items=items, next_cursor=encode_cursor(after) if after else None)

    def get_product(self, product_id: str) -> Product:
        product = self._products.get(product_id)
        if product is None or product.status != "active":
            raise ProductNotFound(f"There is no product '{product_id}'.", product_id=product_id)
        return product

    def find_product(self, product_id: str) -> Product | None:
        """Any status; for other contexts (search) that must also see retired products."""
        return self._products.get(product_id)

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
        if self._events is not None:
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
        return ImportOutcome(product_id=product.product_id, status="imported")

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


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("The cursor is not one this API issued.") from error
    if (
        not isinstance(position, dict)
        or set(position) != CURSOR_KEYS
        or not all(isinstance(v, str) for v in position.values())
    ):
        raise InvalidCursor("The cursor is not one this API issued.")
    return position
