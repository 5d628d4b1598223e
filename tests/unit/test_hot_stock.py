"""Hot-SKU sharding rules (commerce.inventory.hot): the first guess, allocation on the failure path,
rebalancing, staff adjustments, what an order records, and the change log of sharded records."""

from __future__ import annotations

import random

import pytest

from commerce.inventory.hot import (
    BASE,
    Hold,
    HotLayouts,
    InvalidShardCount,
    Layout,
    Pool,
    adjustment,
    allocate,
    checked_shards,
    first_guess,
    holds_of,
    rebalance,
    record_of,
    spread,
)
from commerce.inventory.watch import StockImage, StockRecord, sharded_changes


def layout(active: int, available: dict[str, int], reserved: dict[str, int] | None = None) -> Layout:
    reserved = reserved or {}
    pools = {
        name: Pool(name, units + reserved.get(name, 0), reserved.get(name, 0), units)
        for name, units in available.items()
    }
    shards = sum(1 for name in pools if name != BASE)
    return Layout(active=active, shards=shards, pools=pools)


def test_spread_is_even_and_keeps_every_unit():
    assert spread(10, 4) == [3, 3, 2, 2]
    assert spread(3, 5) == [1, 1, 1, 0, 0]
    assert sum(spread(1001, 7)) == 1001


@pytest.mark.parametrize("shards", [0, 1, 51, -3])
def test_a_shard_count_outside_two_to_fifty_is_refused_with_its_own_code(shards):
    with pytest.raises(InvalidShardCount) as refused:
        checked_shards(shards)
    assert refused.value.code == "INVALID_SHARD_COUNT" and refused.value.extensions == {"minimum": 2, "maximum": 50}
    assert checked_shards(2) == 2 and checked_shards(50) == 50


def test_the_first_guess_needs_no_read_a_random_shard_when_hot_else_the_base():
    rng = random.Random(7)
    guesses = [first_guess([("HOT-1", 1), ("COLD-1", 2)], {"HOT-1": 4}, rng) for _ in range(200)]
    assert {g[1] for g in guesses} == {Hold("COLD-1", BASE, 2)}
    assert {g[0].pool for g in guesses} == {"SHARD#0", "SHARD#1", "SHARD#2", "SHARD#3"}
    assert first_guess([("A", 1), ("A", 2)], {}, rng) == [Hold("A", BASE, 3)]  # one hold per SKU


def test_allocation_prefers_one_active_shard_that_has_it_all():
    got = allocate("S", 2, layout(3, {BASE: 5, "SHARD#0": 0, "SHARD#1": 1, "SHARD#2": 4}), random.Random(1))
    assert got == [Hold("S", "SHARD#2", 2)]


def test_a_dry_shard_falls_through_to_others_spread_by_what_they_hold():
    pools = layout(4, {BASE: 0, "SHARD#0": 0, "SHARD#1": 3, "SHARD#2": 3, "SHARD#3": 0})
    rng = random.Random(3)
    picked = {allocate("S", 1, pools, rng)[0].pool for _ in range(100)}  # type: ignore[index]
    assert picked == {"SHARD#1", "SHARD#2"}


def test_the_base_and_retired_shards_are_used_when_the_active_ones_are_short():
    assert allocate("S", 2, layout(2, {BASE: 2, "SHARD#0": 1, "SHARD#1": 0}), random.Random(0)) == [Hold("S", BASE, 2)]
    merged = layout(0, {BASE: 0, "SHARD#0": 0, "SHARD#1": 3})  # released into a shard after merging
    assert allocate("S", 3, merged, random.Random(0)) == [Hold("S", "SHARD#1", 3)]


def test_a_quantity_no_single_pool_has_is_gathered_from_the_fullest():
    pools = layout(3, {BASE: 0, "SHARD#0": 2, "SHARD#1": 1, "SHARD#2": 2})
    got = allocate("S", 4, pools, random.Random(0))
    assert got is not None and sum(h.quantity for h in got) == 4
    assert {h.pool: h.quantity for h in got} == {"SHARD#0": 2, "SHARD#2": 2}


def test_short_only_when_all_pools_together_are_short():
    pools = layout(3, {BASE: 1, "SHARD#0": 1, "SHARD#1": 1, "SHARD#2": 0})
    assert allocate("S", 4, pools, random.Random(0)) is None
    assert allocate("S", 3, pools, random.Random(0)) is not None


def test_marking_hot_spreads_the_available_units_and_leaves_reservations():
    before = layout(0, {BASE: 10}, reserved={BASE: 4})
    moves = rebalance(before, 4)
    assert moves == {BASE: -10, "SHARD#0": 3, "SHARD#1": 3, "SHARD#2": 2, "SHARD#3": 2}
    assert sum(moves.values()) == 0


def test_rebalancing_evens_out_a_lopsided_sale_and_merging_puts_it_all_in_the_base():
    lopsided = layout(3, {BASE: 1, "SHARD#0": 0, "SHARD#1": 7, "SHARD#2": 1})
    assert rebalance(lopsided, 3) == {BASE: -1, "SHARD#0": 3, "SHARD#1": -4, "SHARD#2": 2}  # 9 = 3 + 3 + 3
    assert rebalance(lopsided, 0) == {BASE: 8, "SHARD#1": -7, "SHARD#2": -1}
    grown = rebalance(layout(2, {BASE: 0, "SHARD#0": 2, "SHARD#1": 2}), 4)
    assert grown == {"SHARD#0": -1, "SHARD#1": -1, "SHARD#2": 1, "SHARD#3": 1}


def test_staff_adjustments_spread_added_units_and_take_removed_ones_from_what_is_available():
    hot = layout(3, {BASE: 0, "SHARD#0": 1, "SHARD#1": 5, "SHARD#2": 2}, reserved={"SHARD#0": 3})
    assert adjustment(7, hot) == {"SHARD#0": 3, "SHARD#1": 2, "SHARD#2": 2}
    assert adjustment(-6, hot) == {"SHARD#1": -5, "SHARD#2": -1}
    assert adjustment(-9, hot) is None  # 8 available; the 3 reserved stay
    cold = layout(0, {BASE: 4})
    assert adjustment(2, cold) == {BASE: 2} and adjustment(-4, cold) == {BASE: -4}
    assert adjustment(3, Layout(0, 0, {})) == {BASE: 3}  # new stock


def test_an_order_records_its_shards_and_releases_to_the_same_ones():
    holds = [Hold("HOT-1", "SHARD#2", 1), Hold("HOT-1", "SHARD#0", 2), Hold("COLD-1", BASE, 1)]
    record = record_of(holds)
    assert record == {"HOT-1": {"SHARD#2": 1, "SHARD#0": 2}}
    assert record_of([Hold("COLD-1", BASE, 1)]) is None  # unsharded orders store nothing
    assert holds_of([("HOT-1", 3), ("COLD-1", 1)], record) == [
        Hold("HOT-1", "SHARD#0", 2),
        Hold("HOT-1", "SHARD#2", 1),
        Hold("COLD-1", BASE, 1),
    ]
    assert holds_of([("COLD-1", 1)], None) == [Hold("COLD-1", BASE, 1)]


def test_the_process_memory_learns_and_forgets_hot_skus():
    layouts = HotLayouts()
    layouts.seed({"A": 4, "B": 0})
    layouts.learn("C", 2)
    layouts.learn("A", 0)
    assert layouts.seeded and layouts.snapshot() == {"C": 2}


def test_a_batch_of_shard_reservations_is_logged_as_one_entry_per_sku_and_kind():
    def record(seq: int, before: int, after: int) -> StockRecord:
        old = StockImage("HOT-1", 10, before, 10 - before, 5, sharded=True)
        new = StockImage("HOT-1", 10, after, 10 - after, 5, sharded=True)
        return StockRecord(sequence=f"{seq:040d}", at="2026-11-22T10:00:00.000Z", old=old, new=new)

    changes = sharded_changes([record(1, 0, 1), record(2, 1, 3), record(3, 3, 2)])
    assert [(c.kind, c.delta) for c in changes] == [("reservation", 3), ("release", -1)]
    assert changes[0].change_id == f"chg_{1:040d}" and changes[0].available is None
    assert "2 changes" in changes[0].reason
