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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from commerce.inventory.models import DEFAULT_LOW_STOCK, StockChange

SOURCE = "commerce.inventory"
ORDER_ACTOR = "system:orders"


@dataclass(frozen=True)
class StockImage:
    sku: str
    on_hand: int
    reserved: int
    available: int
    threshold: int

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


def image(item: dict[str, Any] | None) -> StockImage | None:
    if not item or not str(item.get("pk", "")).startswith("SKU#") or item.get("sk") != "STOCK" or "sku" not in item:
        return None  # the lists' items are keyed by SKU too (a SKU may be called STOCK)
    return StockImage(
        sku=str(item["sku"]),
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
        threshold=int(item.get("low_stock_threshold", DEFAULT_LOW_STOCK)),
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

    def mark_low(self, sku: str, since: str) -> None: ...

    def clear_low(self, sku: str) -> None: ...


class Publisher(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None: ...


class StockWatcher:
    def __init__(self, sink: WatchSink, events: Publisher) -> None:
        self._sink, self._events = sink, events

    def watch(self, records: list[StockRecord]) -> dict[str, int]:
        """Handle a batch in order; an exception retries the whole batch (every write is idempotent)."""
        changes = [c for c in (order_change(r) for r in records) if c is not None]
        if changes:
            self._sink.append_changes(changes)
        announced = recovered = 0
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
