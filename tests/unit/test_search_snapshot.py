"""Search documents, the indexer and the snapshot's chunking and generation rules, over in-memory
fakes of the DynamoDB stores."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from commerce.inventory.models import Availability, StockStatus
from commerce.search.documents import SearchDocument, document_of
from commerce.search.errors import SnapshotUnavailable
from commerce.search.indexer import SearchIndexer
from commerce.search.models import SnapshotPointer
from commerce.search.snapshot import (
    PART_BYTES,
    SnapshotCache,
    SnapshotPublisher,
    chunk,
    decode,
    encode,
    new_generation,
    stock_summary,
)
from local.seed import demo_products
from tests.unit.test_search_engine import product


class Documents:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.sales: dict[str, int] = {}
        self.counter = 0

    def put(self, document: SearchDocument) -> None:
        self.docs[document.product_id] = document.model_dump()
        self.counter += 1

    def delete(self, product_id: str) -> None:
        self.docs.pop(product_id, None)
        self.counter += 1

    def changes(self) -> int:
        return self.counter

    def all(self) -> list[dict[str, Any]]:
        return [dict(d, sales_count=self.sales.get(i, 0)) for i, d in self.docs.items()]

    def add_sales(self, product_id: str, quantity: int) -> None:
        self.sales[product_id] = self.sales.get(product_id, 0) + quantity
        self.counter += 1


class Stock:
    def __init__(self, statuses: dict[str, Availability] | None = None) -> None:
        self.statuses = statuses or {}
        self.calls = 0

    def availability(self, skus):
        self.calls += 1
        return {s: self.statuses.get(s, Availability(sku=s, available=10, status=StockStatus.IN_STOCK)) for s in skus}


class Store:
    def __init__(self) -> None:
        self.current: SnapshotPointer | None = None
        self.parts: dict[str, list[bytes]] = {}
        self.manifest: dict[str, SnapshotPointer] = {}
        self.pointer_reads = 0
        self.part_reads = 0

    def pointer(self) -> SnapshotPointer | None:
        self.pointer_reads += 1
        return self.current

    def write_parts(self, pointer: SnapshotPointer, parts: list[bytes]) -> None:
        assert all(len(p) <= PART_BYTES for p in parts)
        self.parts[pointer.generation] = parts
        self.manifest[pointer.generation] = pointer

    def flip(self, pointer: SnapshotPointer) -> bool:
        if self.current is not None and self.current.generation >= pointer.generation:
            return False
        self.current = pointer
        return True

    def read_parts(self, pointer: SnapshotPointer) -> list[bytes]:
        self.part_reads += 1
        if pointer.generation not in self.parts:
            raise KeyError(pointer.generation)
        return self.parts[pointer.generation]

    def manifests(self) -> list[SnapshotPointer]:
        return list(self.manifest.values())

    def delete_generation(self, pointer: SnapshotPointer) -> None:
        self.parts.pop(pointer.generation, None)
        self.manifest.pop(pointer.generation, None)


class Catalogue:
    def __init__(self, item):
        self.item = item

    def find_product(self, product_id):
        return self.item


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self.ticks = 0.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        self.ticks += timedelta(**delta).total_seconds()

    def monotonic(self) -> float:
        return self.ticks


@pytest.fixture
def parts():
    documents, store, clock = Documents(), Store(), Clock()
    for raw in demo_products():
        SearchIndexer(Catalogue(product(raw)), documents).reindex(raw["product_id"])
    publisher = SnapshotPublisher(documents, Stock(), store, now=clock)
    return documents, store, clock, publisher


# ---- documents and the indexer ---------------------------------------------------------------------
def test_a_document_holds_what_listing_and_search_need():
    doc = document_of(product(demo_products()[0]))
    assert doc.brand_slug == "sonora" and doc.price_from == doc.price_to == 19900
    assert doc.attributes["colour"] == ["black", "white", "navy"] and doc.attributes["noise_cancelling"] == [True]
    assert {"aurora", "anc", "wireless", "headphones"} <= set(doc.terms["name"])
    assert doc.terms["brand"] == ["sonora"] and "electronics" in doc.terms["category"]
    assert {"navy", "bluetooth", "aur"} <= set(doc.terms["attributes"])
    assert doc.skus == ["AUR-BLA", "AUR-WHI", "AUR-NAV"] and doc.image and doc.image.startswith("https://")


def test_retired_or_deleted_products_leave_the_documents_and_every_change_is_counted():
    documents = Documents()
    SearchIndexer(Catalogue(product(demo_products()[0])), documents).reindex("aurora-anc-headphones")
    assert list(documents.docs) == ["aurora-anc-headphones"]
    retired = product(demo_products()[0] | {"status": "retired"})
    assert SearchIndexer(Catalogue(retired), documents).reindex("aurora-anc-headphones") == "removed"
    assert SearchIndexer(Catalogue(None), documents).reindex("gone") == "removed"
    assert documents.docs == {} and documents.changes() == 3


# ---- chunking and encoding -------------------------------------------------------------------------
def test_a_blob_is_split_into_parts_under_the_item_limit_and_joins_back():
    blob = bytes(range(256)) * 3000  # 768,000 bytes
    pieces = chunk(blob)
    assert [len(p) for p in pieces] == [PART_BYTES, PART_BYTES, 768_000 - 2 * PART_BYTES]
    assert b"".join(pieces) == blob
    assert chunk(b"") == [b""]


def test_a_snapshot_is_gzip_json_that_round_trips():
    docs = [{"product_id": "a", "price_from": 1}]
    blob = encode(docs, "g", "t")
    assert json.loads(gzip.decompress(blob)) == {"generation": "g", "built_at": "t", "docs": docs}
    assert decode(blob)["docs"] == docs


def test_generations_sort_by_build_time():
    earlier = new_generation(datetime(2026, 1, 1, tzinfo=UTC))
    later = new_generation(datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC))
    assert earlier < later and earlier != new_generation(datetime(2026, 1, 1, tzinfo=UTC))


def test_a_products_stock_is_its_best_variants_and_the_earliest_restock_date():
    assert stock_summary([("out_of_stock", None), ("low_stock", None)]) == ("low_stock", None)
    assert stock_summary([("backorder", "2026-05-01"), ("backorder", "2026-04-01")]) == ("backorder", "2026-04-01")
    assert stock_summary([("backorder", "2026-05-01"), ("in_stock", None)]) == ("in_stock", None)
    assert stock_summary([]) == ("out_of_stock", None)


# ---- publishing ---------------------------------------------------------------------------------------
def test_publishing_joins_stock_and_sales_and_points_readers_at_it(parts):
    documents, store, _, _ = parts
    documents.add_sales("pour-over-set", 9)
    stock = Stock(
        {
            "BARISTAESP": Availability(
                sku="BARISTAESP", available=0, status=StockStatus.BACKORDER, backorder_eta=date(2026, 4, 1)
            )
        }
    )
    outcome = SnapshotPublisher(documents, stock, store).publish()
    assert outcome.status == "published" and outcome.products == 33 and outcome.parts == 1
    assert store.current is not None and store.current.generation == outcome.generation
    data = decode(b"".join(store.parts[outcome.generation]))
    by_id = {d["product_id"]: d for d in data["docs"]}
    assert by_id["pour-over-set"]["sales_count"] == 9
    assert by_id["barista-espresso-machine"]["stock_status"] == "backorder"
    assert by_id["barista-espresso-machine"]["backorder_eta"] == "2026-04-01"
    assert by_id["aurora-anc-headphones"]["stock_status"] == "in_stock"


def test_publishing_is_skipped_until_documents_change_or_the_snapshot_gets_old(parts):
    documents, _, clock, publisher = parts
    first = publisher.publish()
    assert publisher.publish().status == "skipped"
    clock.advance(minutes=1)
    SearchIndexer(Catalogue(None), documents).reindex("cold-brew-jar")
    second = publisher.publish()
    assert second.status == "published" and second.products == 32 and second.generation > first.generation
    clock.advance(minutes=5)
    assert publisher.publish().status == "skipped"
    clock.advance(minutes=15)  # stock status drifts without catalogue changes
    assert publisher.publish().status == "published"


def test_an_older_build_never_replaces_a_newer_snapshot(parts):
    documents, store, clock, _ = parts
    slow = SnapshotPublisher(documents, Stock(), store, now=lambda: clock.now - timedelta(seconds=30))
    fast = SnapshotPublisher(documents, Stock(), store, now=clock)
    newer = fast.publish(force=True)
    older = slow.publish(force=True)
    assert older.status == "superseded"
    assert store.current is not None and store.current.generation == newer.generation
    assert set(store.parts) == {newer.generation}  # the loser cleaned up after itself


def test_old_generations_are_deleted_after_a_grace_period(parts):
    _, store, clock, publisher = parts
    first = publisher.publish(force=True)
    clock.advance(minutes=1)
    second = publisher.publish(force=True)
    assert set(store.parts) == {first.generation, second.generation}  # readers may still fetch the first
    clock.advance(minutes=11)
    third = publisher.publish(force=True)
    assert set(store.parts) == {second.generation, third.generation}


# ---- reading ------------------------------------------------------------------------------------------
def test_readers_load_once_and_check_the_pointer_at_most_every_few_seconds(parts):
    _, store, clock, publisher = parts
    cache = SnapshotCache(store, check_every=10, monotonic=clock.monotonic)
    with pytest.raises(SnapshotUnavailable):
        cache.engine()
    publisher.publish()
    clock.advance(seconds=10)
    engine = cache.engine()
    assert len(engine.docs) == 33 and store.part_reads == 1
    reads = store.pointer_reads
    for _ in range(5):
        assert cache.engine() is engine
    assert store.pointer_reads == reads  # within the interval: no I/O at all
    clock.advance(seconds=10)
    assert cache.engine() is engine and store.pointer_reads == reads + 1 and store.part_reads == 1


def test_readers_switch_to_a_new_generation_after_the_interval(parts):
    documents, store, clock, _ = parts
    publisher = SnapshotPublisher(documents, Stock(), store, now=clock)
    publisher.publish()
    cache = SnapshotCache(store, check_every=10, monotonic=clock.monotonic)
    engine = cache.engine()
    clock.advance(seconds=11)
    documents.delete("cold-brew-jar")
    publisher.publish()
    assert cache.engine() is not engine and len(cache.engine().docs) == 32
