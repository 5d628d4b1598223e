"""Stock for the back office (MANAGE_INVENTORY): stock per SKU and warehouse, the change log,
adjustments, transfers between warehouses and low-stock thresholds.

Every staff change goes to the SKU's change log in the same DynamoDB transaction as the change
(who, why, when, what). Order-driven changes (reservation, release, dispatch) are logged from the
inventory table's stream by ``commerce.inventory.watch``, which also keeps the low-stock list and
announces LowStock. An adjustment may not take on_hand below what is reserved, nor a warehouse
below zero; a transfer moves units between two warehouses in one transaction and never makes
either negative. With an ``Idempotency-Key`` a retried change is answered with the first one's
result and applied once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from commerce.common.clock import iso, new_id
from commerce.inventory.errors import AlreadyApplied, IdempotencyKeyReused, SkuNotStocked, UnknownSku
from commerce.inventory.hot import checked_shards
from commerce.inventory.models import (
    AdjustmentRequest,
    StockChange,
    StockChangeResult,
    StockDetail,
    StockPage,
    StockView,
    TransferRequest,
)


@dataclass(frozen=True)
class Actor:
    id: str  # staff:<sub>
    email: str | None = None


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str  # what the request meant: a key sent again with another request is refused


class StockLedger(Protocol):
    def stock(self, sku: str) -> StockView | None: ...

    def stock_page(
        self, prefix: str | None, low_only: bool, limit: int, cursor: str | None
    ) -> tuple[list[StockView], str | None]: ...

    def changes(self, sku: str, limit: int, cursor: str | None) -> tuple[list[StockChange], str | None]: ...

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        entry: StockChange | None = None,
        idempotency: Idempotency | None = None,
    ) -> None:
        """Raises StockBelowReserved, WarehouseShort, or AlreadyApplied (the key was used before)."""
        ...

    def transfer(self, entry: StockChange, idempotency: Idempotency | None = None) -> None:
        """Raises SkuNotStocked, WarehouseShort or AlreadyApplied."""
        ...

    def set_threshold(self, sku: str, threshold: int, entry: StockChange) -> None:
        """Raises SkuNotStocked."""
        ...

    def set_hot(self, sku: str, active: int, entry: StockChange) -> None:
        """Spread the available units over ``active`` shards (0: merge them back). Raises
        SkuNotStocked, or StockContended when orders kept moving the pools."""
        ...

    def applied(self, key: str) -> tuple[str, StockChange] | None:
        """(fingerprint, the change) recorded for an Idempotency-Key."""
        ...


class SkuCatalogue(Protocol):
    def known(self, sku: str) -> bool:
        """The catalogue has (or had) this SKU."""
        ...


def fingerprint(action: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([action, payload], sort_keys=True).encode()).hexdigest()


class StockAdmin:
    def __init__(
        self,
        ledger: StockLedger,
        catalogue: SkuCatalogue,
        now: Callable[[], str] = iso,
        ids: Callable[[str], str] = new_id,
    ) -> None:
        self._ledger, self._catalogue, self._now, self._ids = ledger, catalogue, now, ids

    # ---- reads -----------------------------------------------------------------------------------
    def page(self, prefix: str | None, low_only: bool, limit: int, cursor: str | None) -> StockPage:
        items, next_cursor = self._ledger.stock_page(prefix, low_only, limit, cursor)
        return StockPage(items=items, next_cursor=next_cursor)

    def stock(self, sku: str) -> StockView:
        found = self._ledger.stock(sku)
        if found is None:
            raise SkuNotStocked(f"{sku} has no stock record.", sku=sku)
        return found

    def detail(self, sku: str, limit: int, cursor: str | None) -> StockDetail:
        stock = self.stock(sku)
        changes, next_cursor = self._ledger.changes(sku, limit, cursor)
        return StockDetail(**stock.model_dump(), changes=changes, next_changes_cursor=next_cursor)

    # ---- staff changes -----------------------------------------------------------------------------
    def adjust(
        self, sku: str, request: AdjustmentRequest, actor: Actor, key: str | None
    ) -> tuple[StockView | None, StockChangeResult]:
        """(before, result). A SKU without a stock record must be in the catalogue."""
        idempotency = self._idempotency(key, "adjust", {"sku": sku, **request.model_dump()})
        before = self._ledger.stock(sku)
        if before is None and not self._catalogue.known(sku):
            raise UnknownSku(f"The catalogue has no SKU '{sku}'.", sku=sku)
        entry = self._entry(sku, "adjustment", request.delta, request.reason, actor, warehouse=request.warehouse)
        try:
            self._ledger.adjust(sku, request.warehouse, request.delta, entry, idempotency)
        except AlreadyApplied:
            return before, self._replay(idempotency)
        return before, self._result(entry)

    def transfer(self, request: TransferRequest, actor: Actor, key: str | None) -> tuple[StockView, StockChangeResult]:
        idempotency = self._idempotency(key, "transfer", request.model_dump())
        before = self.stock(request.sku)
        entry = self._entry(
            request.sku,
            "transfer",
            request.quantity,
            request.reason,
            actor,
            warehouse=request.from_warehouse,
            to_warehouse=request.to_warehouse,
        )
        try:
            self._ledger.transfer(entry, idempotency)
        except AlreadyApplied:
            return before, self._replay(idempotency)
        return before, self._result(entry)

    def set_threshold(self, sku: str, threshold: int, actor: Actor) -> tuple[StockView, StockView]:
        before = self.stock(sku)
        reason = f"low-stock threshold {before.low_stock_threshold} -> {threshold}"
        entry = self._entry(sku, "threshold", 0, reason, actor, threshold=threshold)
        self._ledger.set_threshold(sku, threshold, entry)
        return before, self.stock(sku)

    def set_hot(self, sku: str, shards: int, actor: Actor) -> tuple[StockView, StockView]:
        """Mark the SKU hot over ``shards`` shards (docs/inventory.md): its available units are
        spread evenly over them and placements reserve from one at random. Marking it again, with the
        same or another count, rebalances. (before, after)."""
        return self._shard(sku, checked_shards(shards), actor)

    def merge(self, sku: str, actor: Actor) -> tuple[StockView, StockView]:
        """No longer hot: the shards' available units go back to the SKU's own item (what orders hold
        in a shard stays there until they release or dispatch it)."""
        return self._shard(sku, 0, actor)

    def _shard(self, sku: str, active: int, actor: Actor) -> tuple[StockView, StockView]:
        before = self.stock(sku)
        reason = f"hot: {active} shards" if active else "hot: merged back"
        self._ledger.set_hot(sku, active, self._entry(sku, "hot", 0, reason, actor))
        return before, self.stock(sku)

    # ---- shared --------------------------------------------------------------------------------------
    def _entry(self, sku: str, kind: Any, delta: int, reason: str, actor: Actor, **extra: Any) -> StockChange:
        return StockChange(
            change_id=self._ids("chg"),
            at=self._now(),
            sku=sku,
            kind=kind,
            delta=delta,
            reason=reason,
            actor=actor.id,
            actor_email=actor.email,
            **extra,
        )

    def _result(self, entry: StockChange) -> StockChangeResult:
        stock = self.stock(entry.sku)
        after = entry.model_copy(update={k: getattr(stock, k) for k in ("on_hand", "reserved", "available")})
        return StockChangeResult(stock=stock, change=after, replayed=False)

    @staticmethod
    def _idempotency(key: str | None, action: str, payload: dict[str, Any]) -> Idempotency | None:
        return Idempotency(key=key, fingerprint=fingerprint(action, payload)) if key else None

    def _replay(self, idempotency: Idempotency | None) -> StockChangeResult:
        assert idempotency is not None
        recorded = self._ledger.applied(idempotency.key)
        if recorded is None or recorded[0] != idempotency.fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different stock change.")
        change = recorded[1]
        return StockChangeResult(stock=self.stock(change.sku), change=change, replayed=True)
