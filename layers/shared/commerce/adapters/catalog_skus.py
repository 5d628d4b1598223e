"""SKU -> (product, variant) lookup over the catalogue table, for carts and checkout.

Reads the catalogue's own items (``SKU#<sku>``/``SKU`` -> product_id, then ``PRODUCT#<id>``/
``PRODUCT``) with BatchGetItem; the raw product item is read defensively (only the fields a cart
needs) so the catalogue can evolve its model without breaking carts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal
from commerce.carts.models import PricedSku

BATCH_GET = 100


class DynamoSkuCatalogue:
    def __init__(self, table: str) -> None:
        self._table = table

    def lookup(self, skus: Iterable[str]) -> dict[str, PricedSku]:
        wanted = sorted(set(skus))
        owners = {
            item["sku"]: str(item["product_id"])
            for item in self._batch_get([{"pk": f"SKU#{sku}", "sk": "SKU"} for sku in wanted])
            if "sku" in item and "product_id" in item
        }
        products = {
            str(item["product_id"]): item
            for item in self._batch_get(
                [{"pk": f"PRODUCT#{pid}", "sk": "PRODUCT"} for pid in sorted(set(owners.values()))]
            )
            if "product_id" in item
        }
        found: dict[str, PricedSku] = {}
        for sku, product_id in owners.items():
            product = products.get(product_id)
            if product is None:
                continue
            variant = next((v for v in product.get("variants") or [] if v.get("sku") == sku), None)
            if variant is None:  # the SKU was dropped from its product
                continue
            images = product.get("images") or []
            found[sku] = PricedSku(
                sku=sku,
                product_id=product_id,
                name=str(product.get("name", "")),
                variant_name=str(variant.get("name", "")),
                unit_price=int(variant["price"]),
                currency=str(product.get("currency", "EUR")),
                weight_grams=int(variant.get("weight_grams", 0)),
                image=str(images[0]) if images else None,
                active=product.get("status", "active") == "active",
            )
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET):
            request: dict[str, Any] = {self._table: {"Keys": [marshal(k) for k in keys[start : start + BATCH_GET]]}}
            while request:
                response = client("dynamodb").batch_get_item(RequestItems=request)
                items += [unmarshal(raw) for raw in response["Responses"].get(self._table, [])]
                request = response.get("UnprocessedKeys") or {}
        return items
