"""What search needs from the outside world, and the port it offers readers (``CatalogueIndex``).

Adapters live in ``commerce.adapters.search_dynamo``; a managed engine (OpenSearch) would be one
more adapter implementing ``CatalogueIndex`` fed from the same documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from commerce.catalog.models import Product
from commerce.inventory.models import Availability
from commerce.search.documents import SearchDocument
from commerce.search.engine import Doc, Page, Query, Suggestion
from commerce.search.models import SearchLogEntry, SnapshotPointer


class ProductSource(Protocol):
    def find_product(self, product_id: str) -> Product | None: ...


class StockSource(Protocol):
    def availability(self, skus: Iterable[str]) -> dict[str, Availability]: ...


class DocumentStore(Protocol):
    def put(self, document: SearchDocument) -> None:
        """Store the document and mark the snapshot dirty."""
        ...

    def delete(self, product_id: str) -> None:
        """Remove the document (if any) and mark the snapshot dirty."""
        ...

    def changes(self) -> int:
        """A counter every put/delete increments: the snapshot is stale when it moved on."""
        ...

    def all(self) -> list[dict[str, Any]]:
        """Every document, with its ``sales_count`` joined."""
        ...

    def add_sales(self, product_id: str, quantity: int) -> None: ...


class SnapshotStore(Protocol):
    def pointer(self) -> SnapshotPointer | None: ...

    def write_parts(self, pointer: SnapshotPointer, parts: list[bytes]) -> None:
        """Write a generation's parts and its manifest (before the pointer may name it)."""
        ...

    def flip(self, pointer: SnapshotPointer) -> bool:
        """Make ``pointer`` current only if it is newer than the current one; False if not."""
        ...

    def read_parts(self, pointer: SnapshotPointer) -> list[bytes]: ...

    def manifests(self) -> list[SnapshotPointer]: ...

    def delete_generation(self, pointer: SnapshotPointer) -> None: ...


class SearchLog(Protocol):
    def record(self, entry: SearchLogEntry) -> None: ...


class CatalogueIndex(Protocol):
    """The read model listing, browsing and search query (in memory here, OpenSearch later)."""

    generation: str
    categories: Any
    brands: dict[str, tuple[str, int]]

    def query(self, query: Query, limit: int, cursor: str | None = None) -> Page: ...

    def search(self, query: Query, limit: int, cursor: str | None = None) -> Page: ...

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]: ...

    def did_you_mean(self, text: str, limit: int = 3) -> list[str]: ...

    def popular(self, limit: int) -> list[Doc]: ...

    def best_sellers(self, category: str | None, limit: int) -> list[Doc]: ...

    def similar(self, target: Doc, limit: int) -> list[Doc]: ...

    def get(self, product_ids: Iterable[str]) -> list[Doc]: ...
