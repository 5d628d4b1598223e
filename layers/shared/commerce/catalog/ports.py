"""What the catalogue needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from typing import Any, Protocol

from commerce.catalog.models import Product, ProductInput
from commerce.catalog.reference import Collection, ReferenceData


class ProductRepository(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def save(self, product: ProductInput, now: str) -> Product:
        """Create or replace; keeps created_at; raises SkuTaken if a SKU belongs to another product."""
        ...


class EventPublisher(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None: ...


class WorkflowStarter(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> bool:
        """Start a named execution; False if one with that name and the same input already exists."""
        ...

    def describe(self, name: str) -> dict[str, Any] | None: ...


class ReferenceRepository(Protocol):
    def load(self) -> ReferenceData: ...

    def save(self, change: ReferenceData) -> None:
        """Upsert every entry of ``change`` (by path, slug or code)."""
        ...

    def get_collection(self, slug: str) -> Collection | None: ...

    def put_collection(self, collection: Collection) -> None: ...
