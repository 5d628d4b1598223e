"""The inventory stream's watcher (commerce.inventory.watch) on fakes: order-driven changes are
logged, staff ones are not logged twice, and LowStock is announced once per crossing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema

from commerce.inventory.models import StockChange
from commerce.inventory.watch import StockImage, StockRecord, StockWatcher, image

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "events" / "schemas" / "LowStock.json").read_text())


class Sink:
    def __init__(self) -> None:
        self.changes: list[StockChange] = []
        self.low: set[str] = set()

    def append_changes(self, changes: list[StockChange]) -> None:
        self.changes += changes

    def mark_low(self, sku: str, since: str) -> None:
        self.low.add(sku)

    def clear_low(self, sku: str) -> None:
        self.low.discard(sku)


class Events:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((source, detail_type, detail))


def level(on_hand: int, reserved: int, threshold: int = 5) -> StockImage:
    return StockImage(
        sku="AUR-NAV", on_hand=on_hand, reserved=reserved, available=on_hand - reserved, threshold=threshold
    )


def records(*levels: StockImage | None) -> list[StockRecord]:
    """Consecutive changes of one SKU: each record goes from the previous level to the next."""
    return [
        StockRecord(sequence=str(100 + i), at="2026-11-22T09:00:00.000Z", old=old, new=new)
        for i, (old, new) in enumerate(itertools.pairwise(levels))
    ]


def test_low_stock_is_announced_once_per_crossing_not_on_every_write():
    sink, events = Sink(), Events()
    watcher = StockWatcher(sink, events)
    # 10 -> reserve to 6 available -> 5 (crossing) -> 4 -> 3 (still low) -> restock 20 (recovers) -> 5 (again)
    walk = [level(10, 0), level(10, 4), level(10, 5), level(10, 6), level(10, 7), level(30, 7), level(30, 25)]
    outcome = watcher.watch(records(*walk))
    assert outcome == {"logged": 5, "announced": 2, "recovered": 1}
    assert [detail["available"] for _, _, detail in events.published] == [5, 5]
    for source, detail_type, detail in events.published:
        assert (source, detail_type) == ("commerce.inventory", "LowStock")
        jsonschema.validate(detail, SCHEMA)
    assert len({detail["event_id"] for _, _, detail in events.published}) == 2
    assert sink.low == {"AUR-NAV"}


def test_order_changes_are_logged_and_staff_changes_are_left_to_their_own_transaction():
    sink = Sink()
    reserve, release = (level(10, 0), level(10, 2)), (level(10, 2), level(10, 1))
    dispatch, adjust = (level(10, 1), level(9, 0)), (level(9, 0), level(20, 0))
    for old, new in (reserve, release, dispatch, adjust):
        StockWatcher(sink, Events()).watch(records(old, new))
    assert [(c.kind, c.delta, c.actor) for c in sink.changes] == [
        ("reservation", 2, "system:orders"),
        ("release", -1, "system:orders"),
        ("dispatch", -1, "system:orders"),
    ]
    assert sink.changes[2].on_hand == 9 and sink.changes[2].available == 9


def test_a_new_record_born_low_is_announced_and_a_threshold_raise_can_make_it_low():
    sink, events = Sink(), Events()
    StockWatcher(sink, events).watch(records(None, level(3, 0)))
    StockWatcher(sink, events).watch(records(level(8, 0), level(8, 0, threshold=10)))
    assert [d["available"] for _, _, d in events.published] == [3, 8]


def test_only_stock_items_are_watched():
    assert image({"pk": "SKU#A", "sk": "WH#main", "sku": "A", "on_hand": 1}) is None
    assert image({"pk": "SKU#A", "sk": "LOG#x", "sku": "A"}) is None
    assert image({"pk": "LIST#SKUS", "sk": "STOCK", "sku": "STOCK"}) is None  # a SKU named STOCK in a list
    found = image({"pk": "SKU#AB", "sk": "STOCK", "sku": "AB", "on_hand": 4, "reserved": 1, "available": 3})
    assert found is not None and found.low and found.threshold == 5
