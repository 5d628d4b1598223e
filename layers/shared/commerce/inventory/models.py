"""Stock levels and the storefront's view of them.

Each SKU has one ``STOCK`` summary (on_hand and reserved across warehouses: the allocation point
orders reserve against with conditional writes) and one item per warehouse (where the goods are).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

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
    hot_shards: int = Field(
        default=0, ge=0, description="Shards placements reserve from (a hot SKU, docs/inventory.md); 0: not hot"
    )


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


# ---- the back office (commerce.inventory.admin) and the change log -------------------------------
Warehouse = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
SkuCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,47}$")]
ChangeKind = Literal["adjustment", "transfer", "threshold", "hot", "reservation", "release", "dispatch"]
MAX_UNITS = 1_000_000


class StockChange(BaseModel):
    """One entry of a SKU's change log: who changed its stock, how, why and when."""

    model_config = ConfigDict(frozen=True)

    change_id: str
    at: str
    sku: str
    kind: ChangeKind
    delta: int = Field(
        description="Units: on_hand change (adjustment, transfer, dispatch), reserved change (reservation, "
        "release), 0 for a threshold"
    )
    warehouse: str | None = Field(default=None, description="Where (the source of a transfer)")
    to_warehouse: str | None = Field(default=None, description="A transfer's destination")
    reason: str
    actor: str = Field(description="staff:<sub> for staff changes, system:orders for order-driven ones")
    actor_email: str | None = None
    threshold: int | None = Field(default=None, description="The new low-stock threshold (threshold changes)")
    on_hand: int | None = Field(default=None, description="The SKU's totals after the change, when known")
    reserved: int | None = None
    available: int | None = None


class WarehouseStock(BaseModel):
    warehouse: str
    on_hand: int


class PoolStock(BaseModel):
    pool: str = Field(description="STOCK (the SKU's own item) or SHARD#<k>")
    on_hand: int
    reserved: int
    available: int


class StockView(StockLevel):
    low_stock: bool = Field(description="available <= low_stock_threshold")
    warehouses: list[WarehouseStock]
    pools: list[PoolStock] = Field(
        default_factory=list,
        description="A sharded SKU's slices (the totals above are their sums); empty for a SKU never sharded",
    )


class StockPage(BaseModel):
    items: list[StockView]
    next_cursor: str | None


class StockDetail(StockView):
    changes: list[StockChange] = Field(description="The change log, newest first")
    next_changes_cursor: str | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdjustmentRequest(Strict):
    warehouse: Warehouse
    delta: int = Field(ge=-MAX_UNITS, le=MAX_UNITS, description="Units to add (negative: remove); not 0")
    reason: Reason = Field(description="Why (goods received, stock count, damaged, ...): required")

    @field_validator("delta")
    @classmethod
    def _moves(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("an adjustment moves at least one unit")
        return delta


class TransferRequest(Strict):
    sku: SkuCode
    from_warehouse: Warehouse
    to_warehouse: Warehouse
    quantity: int = Field(ge=1, le=MAX_UNITS)
    reason: Reason

    @model_validator(mode="after")
    def _two_places(self) -> TransferRequest:
        if self.from_warehouse == self.to_warehouse:
            raise ValueError("from_warehouse and to_warehouse must differ")
        return self


class ThresholdRequest(Strict):
    threshold: int = Field(ge=0, le=MAX_UNITS, description="Low stock when available <= threshold")


class StockChangeResult(BaseModel):
    stock: StockView
    change: StockChange
    replayed: bool = Field(description="The same Idempotency-Key and request were sent before: nothing changed now")


def stock_view(level: StockLevel, warehouses: dict[str, int], pools: list[PoolStock] | None = None) -> StockView:
    return StockView(
        **level.model_dump(),
        low_stock=level.available <= level.low_stock_threshold,
        warehouses=[WarehouseStock(warehouse=w, on_hand=n) for w, n in sorted(warehouses.items())],
        pools=pools or [],
    )
