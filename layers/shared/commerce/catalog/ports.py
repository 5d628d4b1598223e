"""What the catalogue needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from commerce.catalog.models import Product, ProductInput
from commerce.catalog.reference import Collection, ReferenceData

if TYPE_CHECKING:  # the back office's models stay out of the storefront functions' cold start
    from commerce.catalog.admin_models import SkuClaim, StoredEntry


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


# ---- the back office (commerce.catalog.admin) and the CSV import ---------------------------------
class ReferenceEntries(ReferenceRepository, Protocol):
    """Reference entries one by one, with their state (``load`` sees only active ones)."""

    def entries(self, kind: str) -> list[StoredEntry]: ...

    def entry(self, kind: str, key: str) -> StoredEntry | None: ...

    def create_entry(self, kind: str, key: str, data: dict[str, Any], now: str) -> StoredEntry:
        """Raises EntryExists when the key is taken (by an active or a retired entry)."""
        ...

    def update_entry(
        self, kind: str, key: str, data: dict[str, Any], now: str, expected_version: int | None
    ) -> StoredEntry:
        """Raises EntryNotFound, or VersionMismatch when ``expected_version`` is not the stored one."""
        ...

    def retire_entry(self, kind: str, key: str, now: str, expected_version: int | None) -> StoredEntry:
        """Raises EntryNotFound, AlreadyRetired or VersionMismatch."""
        ...


class ProductStore(ProductRepository, Protocol):
    """Products as the back office and the CSV import need them."""

    def save_checked(
        self,
        product: ProductInput,
        now: str,
        expected_version: int | None,
        retired_variants: list[dict[str, Any]] | None = None,
    ) -> Product:
        """``save`` only if the stored version is ``expected_version`` (0: only if there is none);
        raises ProductExists, VersionMismatch or SkuTaken. ``retired_variants`` (when given)
        replaces the product's list of retired variants, and their SKU claims are marked retired."""
        ...

    def retired_variants(self, product_id: str) -> list[dict[str, Any]]: ...

    def get_many(self, product_ids: list[str]) -> dict[str, Product]: ...

    def claims(self, skus: list[str]) -> dict[str, SkuClaim]: ...

    def product_page(
        self, prefix: str | None, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Product], str | None]: ...

    def claim_page(self, prefix: str | None, limit: int, cursor: str | None) -> tuple[list[SkuClaim], str | None]: ...

    def active_products(self) -> Iterable[Product]:
        """Every active product (retire checks: who still uses a brand, a category, an attribute)."""
        ...


@runtime_checkable
class ImportRecords(Protocol):
    """CSV imports' records (the validation report and the executions the good rows went to)."""

    def get_import(self, import_id: str) -> dict[str, Any] | None: ...

    def put_import(self, record: dict[str, Any]) -> bool:
        """Stores a new record; False when one with that id exists already."""
        ...


class StockReader(Protocol):
    def reserved(self, sku: str) -> int:
        """Units of the SKU held for orders not yet dispatched."""
        ...
