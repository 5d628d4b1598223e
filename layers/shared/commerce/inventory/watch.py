"""What the inventory table's stream tells us about each SKU's stock (function inventory-watch-stock).

For every change of a SKU's ``STOCK`` item (old and new image):

- **Change log** for the changes orders make, which staff code never sees: a reservation (reserved
  up, on_hand unchanged), a release (reserved down, on_hand unchanged) and a dispatch (both down by
  the same units, at the hand-over to the carrier). Staff changes (adjustments, transfers,
  thresholds) are logged in their own transaction and are skipped here. The entry's key is made
  from the stream record, so a retried batch writes the same entries again, not new ones.
- **Low stock**: a SKU is low when ``available <= low_stock_threshold``. When a change makes a SKU
  low that was not (or creates it low), it joins the low-stock list and one ``LowStock`` event is
  published; while it stays low nothing more is sent; when it recovers it leaves the list, and the
  next fall announces again. One event per crossing, with an ``event_id`` made from the stream
  record (consumers de-duplicate retried batches by it).
- **Hot SKUs** (docs/inventory.md): a sharded SKU's records (its shards', and its ``STOCK`` item's
  once it has shards) say nothing about its totals on their own. Their order-driven changes are
  logged as one entry per SKU and kind per batch (a flash sale must not make the change log the hot
  partition), and the SKU's low-stock state is judged on its summed totals, read once per batch,
  against the low-stock list: low and not listed -> listed and announced; listed and not low ->
  cleared. A crossing between two batches is announced once; a dip and recovery within one batch
  is not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from commerce.inventory.models import DEFAULT_LOW_STOCK, StockChange, StockLevel

SOURCE = "commerce.inventory"
ORDER_ACTOR = "system:orders"


@dataclass(frozen=True)
class StockImage:
    sku: str
    on_hand: int
    reserved: int
    available: int
    threshold: int
    sharded: bool = False  # a hot SKU's shard, or the STOCK item of a SKU that has shards

    @property
    def low(self) -> bool:
        return self.available <= self.threshold


@dataclass(frozen=True)
class StockRecord:
    """One stream record of a ``STOCK`` item."""

    sequence: str
    at: str  # when the change was made (the record's approximate creation time)
    old: StockImage | None
    new: StockImage | None

    @property
    def sharded(self) -> bool:
        return any(i is not None and i.sharded for i in (self.old, self.new))

    @property
    def sku(self) -> str:
        image = self.new or self.old
        assert image is not None
        return image.sku


def image(item: dict[str, Any] | None) -> StockImage | None:
    if not item or not str(item.get("pk", "")).startswith("SKU#") or item.get("sk") not in ("STOCK", "SHARD"):
        return None  # the lists' items are keyed by SKU too (a SKU may be called STOCK)
    if "sku" not in item:
        return None
    return StockImage(
        sku=str(item["sku"]),
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
        threshold=int(item.get("low_stock_threshold", DEFAULT_LOW_STOCK)),
        sharded=item["sk"] == "SHARD" or int(item.get("shards", 0)) > 0,
    )


def record_of(raw: dict[str, Any], unmarshal: Callable[[dict[str, Any]], dict[str, Any]]) -> StockRecord | None:
    """A Lambda stream record as a StockRecord, or None for any other item (warehouse rows, the
    change log, the lists)."""
    data = raw.get("dynamodb") or {}
    old = image(unmarshal(data["OldImage"])) if data.get("OldImage") else None
    new = image(unmarshal(data["NewImage"])) if data.get("NewImage") else None
    if old is None and new is None:
        return None
    # The stream dates a record to the second it was made in; staff entries carry milliseconds. The
    # entry is dated now (just after the change) but never past that second, so it sorts after the
    # staff changes made before it (exactly, unless both fell in one second and the consumer lagged).
    now = datetime.now(UTC)
    created = data.get("ApproximateCreationDateTime")
    moment = min(now, datetime.fromtimestamp(float(created) + 0.999, UTC)) if created else now
    at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return StockRecord(sequence=str(data.get("SequenceNumber", "")).zfill(40), at=at, old=old, new=new)


def order_change(record: StockRecord) -> StockChange | None:
    """The change log entry of an order-driven change, or None (a staff change or no stock moved)."""
    old, new = record.old, record.new
    if old is None or new is None:
        return None
    on_hand, reserved = new.on_hand - old.on_hand, new.reserved - old.reserved
    if reserved > 0 and on_hand == 0:
        kind, delta, reason = "reservation", reserved, "reserved for an order"
    elif reserved < 0 and on_hand == 0:
        kind, delta, reason = "release", reserved, "released: the order was cancelled, rejected or expired"
    elif reserved < 0 and on_hand == reserved:
        kind, delta, reason = "dispatch", on_hand, "dispatched: handed to the carrier"
    else:
        return None
    return StockChange(
        change_id=f"chg_{record.sequence}",
        at=record.at,
        sku=new.sku,
        kind=kind,
        delta=delta,
        reason=reason,
        actor=ORDER_ACTOR,
        on_hand=new.on_hand,
        reserved=new.reserved,
        available=new.available,
    )


class WatchSink(Protocol):
    def append_changes(self, changes: list[StockChange]) -> None: ...

    def levels(self, skus: list[str]) -> dict[str, StockLevel]:
        """The SKUs' totals (summed over a sharded SKU's pools)."""
        ...

    def low_listed(self, skus: list[str]) -> set[str]:
        """Which of the SKUs are on the low-stock list."""
        ...

    def mark_low(self, sku: str, since: str) -> None: ...

    def clear_low(self, sku: str) -> None: ...


class Publisher(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None: ...


class StockWatcher:
    def __init__(self, sink: WatchSink, events: Publisher) -> None:
        self._sink, self._events = sink, events

    def watch(self, records: list[StockRecord]) -> dict[str, int]:
        """Handle a batch in order; an exception retries the whole batch (every write is idempotent)."""
        sharded = [r for r in records if r.sharded]
        records = [r for r in records if not r.sharded]
        changes = [c for c in (order_change(r) for r in records) if c is not None] + sharded_changes(sharded)
        if changes:
            self._sink.append_changes(changes)
        announced, recovered = self._watch_sharded(sharded)
        for record in records:
            was_low = record.old is not None and record.old.low
            new = record.new
            if new is not None and new.low and not was_low:
                self._sink.mark_low(new.sku, record.at)
                self._events.publish(SOURCE, "LowStock", low_stock_detail(record, new))
                announced += 1
            elif was_low and (new is None or not new.low):
                assert record.old is not None
                self._sink.clear_low(record.old.sku)
                recovered += 1
        return {"logged": len(changes), "announced": announced, "recovered": recovered}

    def _watch_sharded(self, records: list[StockRecord]) -> tuple[int, int]:
        """Hot SKUs: their summed totals against the low-stock list (one read of each per batch)."""
        first: dict[str, StockRecord] = {}
        for record in records:
            first.setdefault(record.sku, record)
        if not first:
            return 0, 0
        skus = sorted(first)
        levels, listed = self._sink.levels(skus), self._sink.low_listed(skus)
        announced = recovered = 0
        for sku in skus:
            level = levels.get(sku)
            low = level is not None and level.available <= level.low_stock_threshold
            if low and sku not in listed:
                assert level is not None
                stock = StockImage(sku, level.on_hand, level.reserved, level.available, level.low_stock_threshold)
                self._sink.mark_low(sku, first[sku].at)
                self._events.publish(SOURCE, "LowStock", low_stock_detail(first[sku], stock))
                announced += 1
            elif not low and sku in listed:
                self._sink.clear_low(sku)
                recovered += 1
        return announced, recovered


def sharded_changes(records: list[StockRecord]) -> list[StockChange]:
    """A batch's order-driven changes of hot SKUs: one entry per SKU and kind, units summed, named
    after the first record (a retried batch writes the same entries). The totals after it are not
    known from one shard's image: left out."""
    merged: dict[tuple[str, str], tuple[StockChange, int, int]] = {}
    for record in records:
        change = order_change(record)
        if change is None:
            continue
        key = (change.sku, change.kind)
        seen = merged.get(key)
        merged[key] = (seen[0], seen[1] + change.delta, seen[2] + 1) if seen else (change, change.delta, 1)
    return [
        first.model_copy(
            update={
                "delta": delta,
                "reason": f"{first.reason} ({count} changes of a hot SKU, together)" if count > 1 else first.reason,
                "on_hand": None,
                "reserved": None,
                "available": None,
            }
        )
        for first, delta, count in merged.values()
    ]


def low_stock_detail(record: StockRecord, stock: StockImage) -> dict[str, Any]:
    return {
        "event_id": f"LowStock:{stock.sku}:{record.sequence}",
        "occurred_at": record.at,
        "sku": stock.sku,
        "available": stock.available,
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "threshold": stock.threshold,
    }
