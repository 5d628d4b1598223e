"""Hot SKUs: a SKU's stock split over shard items so a flash sale is not capped by one DynamoDB
item's write rate (docs/inventory.md). Pure rules; the DynamoDB layout is the inventory adapter's.

A SKU's stock lives in **pools**: its own ``STOCK`` item (the *base*) and, once it has been marked
hot, shard items ``SHARD#0..n-1``. Every pool keeps ``available = on_hand - reserved`` (all >= 0)
and the SKU's totals are the sums over its pools: a pool is an accounting slice of the SKU's units,
not a place (the warehouse rows say where the units are, and their on_hand sums to the total
on_hand). A reservation, release or dispatch moves one pool (the order records which); staff
changes and rebalancing move units between pools with conditional writes.

While a SKU is hot (``active`` shards > 0) placements reserve from a shard chosen at random, so
``active`` shards take ``active`` times the writes one item takes; the base keeps what orders
placed before the marking hold, and anything released to it later, and is still reserved from
when the shards are short."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from commerce.common.errors import Unprocessable

MIN_SHARDS = 2
MAX_SHARDS = 50  # a rebalance touches every shard, the base, the hot list and the log in one transaction (<= 100)
BASE = "STOCK"
SHARD = "SHARD#"


class InvalidShardCount(Unprocessable):
    code = "INVALID_SHARD_COUNT"


class HotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shards: int = Field(
        description=f"How many shard items the SKU's available units are spread over ({MIN_SHARDS}..{MAX_SHARDS})"
    )


def checked_shards(shards: int) -> int:
    if not MIN_SHARDS <= shards <= MAX_SHARDS:
        raise InvalidShardCount(
            f"A hot SKU has {MIN_SHARDS} to {MAX_SHARDS} shards; {shards} asked.",
            minimum=MIN_SHARDS,
            maximum=MAX_SHARDS,
        )
    return shards


def shard(index: int) -> str:
    return f"{SHARD}{index}"


def shard_index(pool: str) -> int | None:
    return int(pool[len(SHARD) :]) if pool.startswith(SHARD) else None


@dataclass(frozen=True)
class Pool:
    """One item's slice of a SKU's stock."""

    name: str  # BASE or SHARD#k
    on_hand: int = 0
    reserved: int = 0
    available: int = 0


@dataclass(frozen=True)
class Hold:
    """Units of a SKU reserved in (or to be moved in) one pool."""

    sku: str
    pool: str
    quantity: int


@dataclass(frozen=True)
class Layout:
    """A SKU's pools as read: ``active`` shards take placements (0: not hot); ``shards`` shard items
    exist (it only grows, so a shard that still holds reservations is never forgotten)."""

    active: int
    shards: int
    pools: Mapping[str, Pool]

    @property
    def available(self) -> int:
        return sum(p.available for p in self.pools.values())

    def totals(self) -> tuple[int, int, int]:
        """(on_hand, reserved, available) of the SKU: the sums over its pools."""
        pools = self.pools.values()
        return sum(p.on_hand for p in pools), sum(p.reserved for p in pools), sum(p.available for p in pools)

    def shard_names(self) -> list[str]:
        return [shard(k) for k in range(self.shards)]


def spread(units: int, parts: int) -> list[int]:
    """``units`` split over ``parts`` as evenly as integers allow (the first ones get the rest)."""
    base, rest = divmod(units, parts)
    return [base + (1 if k < rest else 0) for k in range(parts)]


def lines_by_sku(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for sku, quantity in lines:
        total[sku] = total.get(sku, 0) + quantity
    return total


# ---- placing: the first guess, and the failure path's allocation ----------------------------------
def first_guess(lines: Iterable[tuple[str, int]], active: Mapping[str, int], rng: random.Random) -> list[Hold]:
    """Per SKU, one pool: a random shard for a SKU known to be hot, else the base. No read: a wrong
    guess only fails the transaction's condition, and the failure path reads and allocates."""
    holds = []
    for sku, quantity in lines_by_sku(lines).items():
        n = active.get(sku, 0)
        holds.append(Hold(sku, shard(rng.randrange(n)) if n > 0 else BASE, quantity))
    return holds


def allocate(sku: str, quantity: int, layout: Layout, rng: random.Random) -> list[Hold] | None:
    """Where to reserve ``quantity`` given the pools as read: one pool that has it all, chosen at
    random weighted by what each has (so concurrent buyers spread out instead of all taking the
    fullest), the active shards first, then the base, then retired shards; failing that, the units
    gathered from the fullest pools. None when all pools together are short."""
    if layout.available < quantity:
        return None
    active = {shard(k) for k in range(layout.active)}
    tiers = [
        [p for p in layout.pools.values() if p.name in active],
        [p for p in layout.pools.values() if p.name == BASE],
        [p for p in layout.pools.values() if p.name not in active and p.name != BASE],
    ]
    for tier in tiers:
        enough = [p for p in tier if p.available >= quantity]
        if enough:
            chosen = rng.choices(enough, weights=[p.available for p in enough])[0]
            return [Hold(sku, chosen.name, quantity)]
    return [Hold(sku, name, units) for name, units in gather(quantity, layout.pools).items()]


def gather(quantity: int, pools: Mapping[str, Pool]) -> dict[str, int]:
    """``quantity`` units taken from the fullest pools first (the caller knows they suffice)."""
    taken: dict[str, int] = {}
    for pool in sorted(pools.values(), key=lambda p: (-p.available, p.name)):
        if quantity == 0:
            break
        units = min(quantity, pool.available)
        if units > 0:
            taken[pool.name] = units
            quantity -= units
    return taken


# ---- staff changes --------------------------------------------------------------------------------
def rebalance(layout: Layout, active: int) -> dict[str, int]:
    """The available-units move per pool (+ in, - out) that spreads everything available over
    ``active`` shards evenly (base and other shards emptied of available units), or, with
    ``active`` 0, merges it all back into the base. Reservations stay where they are."""
    targets = dict.fromkeys([BASE, *layout.shard_names(), *(shard(k) for k in range(active))], 0)
    if active:
        targets.update({shard(k): units for k, units in enumerate(spread(layout.available, active))})
    else:
        targets[BASE] = layout.available
    now = {name: (layout.pools[name].available if name in layout.pools else 0) for name in targets}
    return {name: targets[name] - now[name] for name in targets if targets[name] != now[name]}


def adjustment(delta: int, layout: Layout) -> dict[str, int] | None:
    """Where a staff adjustment of ``delta`` units goes: added units are spread over the active
    shards (the base when the SKU is not hot); removed units are taken from what is available, the
    fullest pools first. None when fewer are available than removed (reserved units stay)."""
    if delta > 0:
        if layout.active == 0:
            return {BASE: delta}
        return {shard(k): units for k, units in enumerate(spread(delta, layout.active)) if units}
    if layout.available < -delta:
        return None
    return {name: -units for name, units in gather(-delta, layout.pools).items()}


# ---- what an order holds ------------------------------------------------------------------------------
def record_of(holds: Iterable[Hold]) -> dict[str, dict[str, int]] | None:
    """What the order stores (``{sku: {pool: units}}``), only for SKUs held outside the base (an
    order on unsharded stock stores nothing, as before)."""
    record: dict[str, dict[str, int]] = {}
    holds = list(holds)
    sharded = {h.sku for h in holds if h.pool != BASE}
    for hold in holds:
        if hold.sku in sharded:
            pools = record.setdefault(hold.sku, {})
            pools[hold.pool] = pools.get(hold.pool, 0) + hold.quantity
    return record or None


def holds_of(lines: Iterable[tuple[str, int]], record: Mapping[str, Mapping[str, int]] | None) -> list[Hold]:
    """The pools an order's lines were reserved in (the base for SKUs its record does not name)."""
    holds: list[Hold] = []
    for sku, quantity in lines_by_sku(lines).items():
        pools = (record or {}).get(sku)
        if pools:
            holds += [Hold(sku, pool, int(units)) for pool, units in sorted(pools.items())]
        else:
            holds.append(Hold(sku, BASE, quantity))
    return holds


class HotLayouts:
    """A process's memory of which SKUs are hot and over how many shards (placement's first guess).
    Learned from the hot list once, then from every read the failure path makes; a stale entry
    costs one failed transaction, never a wrong reservation."""

    def __init__(self) -> None:
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()
        self.seeded = False

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._active)

    def learn(self, sku: str, active: int) -> None:
        with self._lock:
            if active > 0:
                self._active[sku] = active
            else:
                self._active.pop(sku, None)

    def seed(self, hot: Mapping[str, int]) -> None:
        with self._lock:
            self._active.update({sku: n for sku, n in hot.items() if n > 0})
            self.seeded = True
