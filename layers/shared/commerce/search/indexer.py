"""Turns a product into index terms and keeps the index in step with the catalogue.

Indexing always re-reads the product from the catalogue (through its public service), so events
may arrive twice or out of order and the index still converges on the catalogue's current state.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from commerce.catalog.models import Product

MIN_TERM = 2


class ProductSource(Protocol):
    def find_product(self, product_id: str) -> Product | None: ...


class SearchIndex(Protocol):
    def replace(self, product_id: str, terms: set[str]) -> None: ...

    def remove(self, product_id: str) -> None: ...


def normalise(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [t for t in re.split(r"[^a-z0-9]+", folded) if len(t) >= MIN_TERM]


def terms_of(product: Product) -> set[str]:
    texts = [product.name, product.brand, *product.category.split("/")]
    texts += [str(v) for v in product.attributes.values()]
    for variant in product.variants:
        texts += [variant.name, variant.sku, *(str(v) for v in variant.attributes.values())]
    return {term for text in texts for term in normalise(text)}


class SearchIndexer:
    def __init__(self, catalogue: ProductSource, index: SearchIndex) -> None:
        self._catalogue = catalogue
        self._index = index

    def reindex(self, product_id: str) -> str:
        product = self._catalogue.find_product(product_id)
        if product is None or product.status != "active":
            self._index.remove(product_id)
            return "removed"
        self._index.replace(product_id, terms_of(product))
        return "indexed"
