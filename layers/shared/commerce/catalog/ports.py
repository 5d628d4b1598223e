"""What the catalogue needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from typing import Any, Protocol

from commerce.catalog.models import Product, ProductInput, ProductSummary


class ProductRepository(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def list_active(
        self, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[ProductSummary], dict[str, Any] | None]:
        """Newest first; returns the page and the position after it (None on the last page)."""
        ...

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
