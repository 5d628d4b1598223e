"""Inventory use cases the other contexts call (its public service)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from commerce.common.clock import iso, new_id
from commerce.common.errors import Conflict, InvalidInput
from commerce.inventory.models import Availability, StockChange, StockLevel, availability_of


class StockBelowReserved(Conflict):
    code = "STOCK_BELOW_RESERVED"


class StockRepository(Protocol):
    def levels(self, skus: list[str]) -> dict[str, StockLevel]: ...

    def adjust(self, sku: str, warehouse: str, delta: int, entry: StockChange | None = None) -> None:
        """Add ``delta`` to on_hand in the warehouse and the SKU total; refuses to go below reserved.
        ``entry`` goes to the SKU's change log in the same transaction."""
        ...

    def set_backorder(self, sku: str, eta: date | None, low_stock_threshold: int | None) -> None: ...


class InventoryService:
    def __init__(self, stock: StockRepository) -> None:
        self._stock = stock

    def availability(self, skus: Iterable[str]) -> dict[str, Availability]:
        wanted = sorted(set(skus))
        levels = self._stock.levels(wanted) if wanted else {}
        return {sku: availability_of(levels.get(sku), sku) for sku in wanted}

    def reserved(self, sku: str) -> int:
        """Units held for orders not yet dispatched (0 for a SKU without stock)."""
        level = self._stock.levels([sku]).get(sku)
        return level.reserved if level else 0

    def adjust(self, sku: str, warehouse: str, delta: int, reason: str = "set by a system process") -> None:
        """A system adjustment (seeding, tests, integrations), logged as one; staff adjust through
        ``commerce.inventory.admin``."""
        if delta == 0:
            raise InvalidInput("An adjustment needs a non-zero quantity.")
        entry = StockChange(
            change_id=new_id("chg"),
            at=iso(),
            sku=sku,
            kind="adjustment",
            delta=delta,
            warehouse=warehouse,
            reason=reason,
            actor="system",
        )
        self._stock.adjust(sku, warehouse, delta, entry)

    def plan_restock(self, sku: str, eta: date | None, low_stock_threshold: int | None = None) -> None:
        self._stock.set_backorder(sku, eta, low_stock_threshold)
