"""Inventory errors for the back office, each with a stable code (StockBelowReserved, the first
one, lives in ``commerce.inventory.service``)."""

from __future__ import annotations

from commerce.common.errors import Conflict, NotFound, TemporarilyUnavailable


class SkuNotStocked(NotFound):
    code = "SKU_NOT_STOCKED"


class UnknownSku(NotFound):
    """Stock for a SKU the catalogue has never had (a typo would otherwise create phantom stock)."""

    code = "SKU_NOT_FOUND"


class WarehouseShort(Conflict):
    """The warehouse holds fewer units than the change takes from it."""

    code = "INSUFFICIENT_WAREHOUSE_STOCK"


class IdempotencyKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


class AlreadyApplied(Exception):
    """The adapter's signal that a change's Idempotency-Key was recorded before (not an API error)."""


class StockContended(TemporarilyUnavailable):
    """Concurrent orders kept taking the units a request planned to use (a hot SKU near sell-out):
    nothing was changed; the same request again is safe (503, Retry-After)."""

    code = "STOCK_CONTENDED"
