"""Stock levels and the storefront's view of them.

Each SKU has one ``STOCK`` summary (on_hand and reserved across warehouses: the allocation point
orders reserve against with conditional writes) and one item per warehouse (where the goods are).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_LOW_STOCK = 5


class StockStatus(StrEnum):
    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"
    BACKORDER = "backorder"


class StockLevel(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    on_hand: int = Field(ge=0)
    reserved: int = Field(ge=0)
    available: int = Field(ge=0, description="on_hand - reserved, stored so writes can be conditional on it")
    low_stock_threshold: int = Field(default=DEFAULT_LOW_STOCK, ge=0)
    backorder_eta: date | None = None  # set by procurement when a purchase order is due


class Availability(BaseModel):
    """What the storefront shows for one SKU."""

    model_config = ConfigDict(frozen=True)

    sku: str
    available: int = Field(ge=0, description="Units that can be ordered now")
    status: StockStatus
    backorder_eta: date | None = Field(default=None, description="Expected restock date when on back-order")


def availability_of(level: StockLevel | None, sku: str) -> Availability:
    if level is None:
        return Availability(sku=sku, available=0, status=StockStatus.OUT_OF_STOCK)
    available = level.available
    if available == 0:
        status = StockStatus.BACKORDER if level.backorder_eta else StockStatus.OUT_OF_STOCK
    elif available <= level.low_stock_threshold:
        status = StockStatus.LOW_STOCK
    else:
        status = StockStatus.IN_STOCK
    return Availability(sku=sku, available=available, status=status, backorder_eta=level.backorder_eta)
