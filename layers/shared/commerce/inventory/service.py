"""Inventory use cases the other contexts call (its public service)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from commerce.common.errors import Conflict, InvalidInput
from commerce.inventory.models import Availability, StockLevel, availability_of


class StockBelowReserved(Conflict):
    code = "STOCK_BELOW_RESERVED"


class StockRepository(Protocol):
    def levels(self, skus: list[str]) -> dict[str, StockLevel]: ...

    def adjust(self, sku: str, warehouse: str, delta: int) -> None:
        """Add ``delta`` to on_hand in the warehouse and the SKU total; refuses to go below reserved."""
        ...

    def set_backorder(self, sku: str, eta: date | None, low_stock_threshold: int | None) -> None: ...


class InventoryService:
    def __init__(self, stock: StockRepository) -> None:
        self._stock = stock

    def availability(self, skus: Iterable[str]) -> dict[str, Availability]:
        wanted = sorted(set(skus))
        levels = self._stock.levels(wanted) if wanted else {}
        return {sku: availability_of(levels.get(sku), sku) for sku in wanted}

    def adjust(self, sku: str, warehouse: str, delta: int) -> None:
        if delta == 0:
            raise InvalidInput("An adjustment needs a non-zero quantity.")
        self._stock.adjust(sku, warehouse, delta)

    def plan_restock(self, sku: str, eta: date | None, low_stock_threshold: int | None = None) -> None:
        self._stock.set_backorder(sku, eta, low_stock_threshold)
