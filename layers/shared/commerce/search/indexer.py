"""Keeps the search documents in step with the catalogue.

Indexing always re-reads the product from the catalogue (through its public service), so events
may arrive twice or out of order and the documents still converge on the catalogue's current state.
Every change bumps the documents' change counter, which tells the snapshot publisher to rebuild.
"""

from __future__ import annotations

from commerce.search.documents import document_of
from commerce.search.ports import DocumentStore, ProductSource
from commerce.search.text import normalise

__all__ = ["SearchIndexer", "normalise"]


class SearchIndexer:
    def __init__(self, catalogue: ProductSource, documents: DocumentStore) -> None:
        self._catalogue = catalogue
        self._documents = documents

    def reindex(self, product_id: str) -> str:
        product = self._catalogue.find_product(product_id)
        if product is None or product.status != "active":
            self._documents.delete(product_id)
            return "removed"
        self._documents.put(document_of(product))
        return "indexed"
