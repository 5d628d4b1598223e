"""What the carts context needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from commerce.carts.models import PricedSku, StoredCart
from commerce.inventory.models import Availability


class SkuCatalogue(Protocol):
    def lookup(self, skus: Iterable[str]) -> dict[str, PricedSku]:
        """The SKUs the catalogue knows (active or retired); unknown SKUs are absent."""
        ...


class StockChecker(Protocol):
    def availability(self, skus: Iterable[str]) -> dict[str, Availability]: ...


class CartRepository(Protocol):
    def get(self, cart_id: str) -> StoredCart | None: ...

    def save(self, cart: StoredCart, expected_version: int) -> None:
        """Write ``cart`` if the stored version is still ``expected_version`` (0: must not exist, or
        be expired); else raise ``VersionConflict``."""
        ...

    def save_merge(self, target: StoredCart, target_version: int, source: StoredCart, source_version: int) -> None:
        """Write both carts in one transaction, each conditional on its version; ``VersionConflict``."""
        ...
