"""The catalogue snapshot: every search document joined with stock status and sales, as one
gzip-compressed JSON blob split into parts small enough for DynamoDB items.

Generation rules:
- a build writes its parts and manifest first, then flips the ``CURRENT`` pointer with a
  conditional write that only succeeds if its generation is newer than the current one, so a slow,
  older build can never replace a newer snapshot (the loser deletes its own parts);
- generations sort by build start time (ms) plus a random suffix;
- superseded generations are deleted once they have been superseded for a grace period, so a
  reader that has just read the old pointer can still fetch its parts;
- a build is skipped unless documents changed since the current snapshot (a change counter) or
  the snapshot is older than ``max_age`` (stock status drifts without catalogue changes).

Readers (``SnapshotCache``) keep the decoded engine per warm container and check the pointer (one
GetItem) at most every ``check_every`` seconds.
"""

from __future__ import annotations

import gc
import gzip
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from commerce.common.clock import iso
from commerce.search.engine import CatalogueEngine
from commerce.search.errors import SnapshotUnavailable
from commerce.search.models import SnapshotPointer
from commerce.search.ports import DocumentStore, SnapshotStore, StockSource

PART_BYTES = 350_000
STATUS_RANK = {"in_stock": 0, "low_stock": 1, "backorder": 2, "out_of_stock": 3}

# In the local cloud every function shares one process: the publisher tells readers there about a
# new generation at once (on AWS, containers never share this, and the pointer check governs).
_published_here = {"generation": ""}
_lock = threading.Lock()


def new_generation(moment: datetime) -> str:
    return f"{int(moment.timestamp() * 1000):013d}-{secrets.token_hex(3)}"


def encode(docs: list[dict[str, Any]], generation: str, built_at: str) -> bytes:
    payload = {"generation": generation, "built_at": built_at, "docs": docs}
    return gzip.compress(json.dumps(payload, separators=(",", ":"), default=str).encode(), compresslevel=6)


def decode(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress(blob))
    return data


def chunk(blob: bytes, size: int = PART_BYTES) -> list[bytes]:
    return [blob[i : i + size] for i in range(0, len(blob), size)] or [b""]


def stock_summary(statuses: Iterable[tuple[str, str | None]]) -> tuple[str, str | None]:
    """A product's status: the best of its variants'; the earliest ETA when all are on back-order."""
    pairs = list(statuses)
    if not pairs:
        return "out_of_stock", None
    best = min((s for s, _ in pairs), key=STATUS_RANK.__getitem__)
    etas = sorted(eta for s, eta in pairs if s == "backorder" and eta)
    return best, etas[0] if best == "backorder" and etas else None


@dataclass(frozen=True)
class PublishOutcome:
    status: str  # "published", "skipped", "superseded"
    generation: str | None = None
    products: int = 0
    bytes: int = 0
    raw_bytes: int = 0
    parts: int = 0
    deleted: int = 0


class SnapshotPublisher:
    def __init__(
        self,
        documents: DocumentStore,
        stock: StockSource,
        store: SnapshotStore,
        max_age: timedelta = timedelta(minutes=15),
        grace: timedelta = timedelta(minutes=10),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._documents, self._stock, self._store = documents, stock, store
        self._max_age, self._grace, self._now = max_age, grace, now

    def publish(self, force: bool = False) -> PublishOutcome:
        current = self._store.pointer()
        changes = self._documents.changes()
        started = self._now()
        if current is not None and not force:
            fresh = _parse(current.built_at) > started - self._max_age
            if fresh and changes <= current.source_changes:
                return PublishOutcome("skipped", current.generation, current.products, current.bytes)
        docs = self._documents.all()
        availability = self._stock.availability(sku for d in docs for sku in d["skus"])
        for doc in docs:
            status, eta = stock_summary(
                (a.status.value, a.backorder_eta.isoformat() if a.backorder_eta else None)
                for a in (availability[s] for s in doc["skus"] if s in availability)
            )
            doc["stock_status"], doc["backorder_eta"] = status, eta
            doc.setdefault("rating", None)
        docs.sort(key=lambda d: str(d["product_id"]))
        generation, built_at = new_generation(started), iso(started)
        blob = encode(docs, generation, built_at)
        parts = chunk(blob)
        pointer = SnapshotPointer(
            generation=generation,
            built_at=built_at,
            products=len(docs),
            bytes=len(blob),
            parts=len(parts),
            source_changes=changes,
        )
        self._store.write_parts(pointer, parts)
        if not self._store.flip(pointer):
            self._store.delete_generation(pointer)
            return PublishOutcome("superseded", generation, len(docs), len(blob), parts=len(parts))
        with _lock:
            if generation > _published_here["generation"]:
                _published_here["generation"] = generation
        deleted = self.collect_garbage(pointer)
        raw = len(gzip.decompress(blob))
        return PublishOutcome("published", generation, len(docs), len(blob), raw, len(parts), deleted)

    def collect_garbage(self, current: SnapshotPointer) -> int:
        """Delete generations superseded more than ``grace`` ago (a generation is superseded when
        the next newer one was built), never the current one."""
        cutoff = self._now() - self._grace
        manifests = sorted(
            (m for m in self._store.manifests() if m.generation <= current.generation), key=lambda m: m.generation
        )
        old = [m for m, successor in pairwise(manifests) if _parse(successor.built_at) < cutoff]
        for manifest in old:
            self._store.delete_generation(manifest)
        return len(old)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class SnapshotCache:
    """The current snapshot's engine for one warm container."""

    def __init__(
        self,
        store: SnapshotStore,
        check_every: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._check_every = check_every
        self._monotonic = monotonic
        self._engine: CatalogueEngine | None = None
        self._checked = -float("inf")
        self._hint_seen = ""
        self._lock = threading.Lock()

    def engine(self) -> CatalogueEngine:
        with self._lock:
            stale = self._engine is None or self._monotonic() - self._checked >= self._check_every
            if _published_here["generation"] != self._hint_seen:
                stale = True
            if stale:
                self._refresh()
            if self._engine is None:
                raise SnapshotUnavailable("The catalogue index has not been built yet; try again in a minute.")
            return self._engine

    def _refresh(self) -> None:
        self._hint_seen = _published_here["generation"]
        pointer = self._store.pointer()
        self._checked = self._monotonic()
        if pointer is None or (self._engine is not None and pointer.generation == self._engine.generation):
            return
        try:
            parts = self._store.read_parts(pointer)
        except KeyError:  # collected between pointer read and parts read: keep serving what we have
            return
        data = decode(b"".join(parts))
        engine = CatalogueEngine(data["docs"], generation=data["generation"], built_at=data["built_at"])
        del data
        # The engine is hundreds of thousands of long-lived objects: keep the cyclic GC from
        # re-scanning them on every collection (they are still freed by refcount when replaced).
        gc.unfreeze()
        self._engine = engine
        gc.collect()
        gc.freeze()
