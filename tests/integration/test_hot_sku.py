"""Hot SKUs over HTTP against the local cloud (docs/inventory.md): staff mark a SKU hot, placements
reserve from its shards with zero oversell, a dry shard falls through to the others, releases and
the dispatch go back to the shards the order holds, and every stock view shows the summed totals."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal
from tests.integration.support import assert_problem, auth, until
from tests.integration.test_back_office_inventory import adjust, detail
from tests.integration.test_cart_api import new_customer, product, stock
from tests.integration.test_fulfilment import shipped
from tests.integration.test_order_lifecycle import cancel, placed, status_becomes
from tests.integration.test_orders_api import _no_leaked_window, place, quote  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def warehouse(staff_token: Any) -> dict[str, str]:
    """The warehouse group's staff (MANAGE_INVENTORY)."""
    return auth(staff_token("warehouse"))


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


def hot_sku(api: Any, warehouse: dict[str, str], units: int, shards: int) -> tuple[str, str]:
    """A catalogue SKU with ``units`` in warehouse main, marked hot over ``shards``: (sku, product id)."""
    data = product({"H": 1999}, weight=300)
    sku = str(data["variants"][0]["sku"])
    stock(sku, units)
    response = api.put(f"/admin/inventory/{sku}/hot", headers=warehouse, json={"shards": shards})
    assert response.status_code == 200, response.text
    return sku, str(data["product_id"])


def pools(api: Any, warehouse: dict[str, str], sku: str) -> dict[str, dict[str, int]]:
    return {
        p["pool"]: {k: p[k] for k in ("on_hand", "reserved", "available")} for p in detail(api, warehouse, sku)["pools"]
    }


def totals(api: Any, warehouse: dict[str, str], sku: str) -> dict[str, int]:
    got = detail(api, warehouse, sku)
    summed = {k: sum(p[k] for p in got["pools"]) for k in ("on_hand", "reserved", "available")}
    assert summed == {k: got[k] for k in summed}, "the totals are the sums of the pools"
    return {k: got[k] for k in ("on_hand", "reserved", "available")}


def stock_holds(order_id: str) -> dict[str, dict[str, int]]:
    item = client("dynamodb").get_item(
        TableName=os.environ["ORDERS_TABLE"],
        Key=marshal({"pk": f"ORDER#{order_id}", "sk": "ORDER"}),
        ConsistentRead=True,
    )["Item"]
    return {sku: {p: int(n) for p, n in held.items()} for sku, held in unmarshal(item)["stock_holds"].items()}


# ---- marking ----------------------------------------------------------------------------------------------
def test_marking_hot_spreads_the_available_units_and_every_view_shows_the_totals(api, warehouse):
    sku, product_id = hot_sku(api, warehouse, 10, 4)
    got = detail(api, warehouse, sku)
    assert (got["hot_shards"], got["on_hand"], got["reserved"], got["available"]) == (4, 10, 0, 10)
    assert pools(api, warehouse, sku) == {
        "STOCK": {"on_hand": 0, "reserved": 0, "available": 0},
        "SHARD#0": {"on_hand": 3, "reserved": 0, "available": 3},
        "SHARD#1": {"on_hand": 3, "reserved": 0, "available": 3},
        "SHARD#2": {"on_hand": 2, "reserved": 0, "available": 2},
        "SHARD#3": {"on_hand": 2, "reserved": 0, "available": 2},
    }
    assert got["warehouses"] == [{"warehouse": "main", "on_hand": 10}]
    assert got["changes"][0]["kind"] == "hot" and got["changes"][0]["reason"] == "hot: 4 shards"
    listed = api.get("/admin/inventory", headers=warehouse, params={"sku_prefix": sku}).json()["items"]
    assert [(i["sku"], i["available"], i["hot_shards"]) for i in listed] == [(sku, 10, 4)]
    variant = api.get(f"/products/{product_id}").json()["variants"][0]
    assert variant["stock_status"] == "in_stock"  # summed: the STOCK item alone says 0


def test_staff_adjustments_of_a_hot_sku_spread_and_take_units_across_its_shards(api, warehouse):
    sku, _ = hot_sku(api, warehouse, 4, 2)
    assert adjust(api, warehouse, sku, 5).status_code == 201
    assert {p: v["available"] for p, v in pools(api, warehouse, sku).items()} == {
        "STOCK": 0,
        "SHARD#0": 5,
        "SHARD#1": 4,
    }
    assert adjust(api, warehouse, sku, -7, reason="stock count").status_code == 201
    assert totals(api, warehouse, sku) == {"on_hand": 2, "reserved": 0, "available": 2}
    assert_problem(adjust(api, warehouse, sku, -3, reason="too many"), 409, "STOCK_BELOW_RESERVED")
    assert detail(api, warehouse, sku)["warehouses"] == [{"warehouse": "main", "on_hand": 2}]


def test_bad_shard_counts_and_unknown_skus_are_refused_with_stable_codes(api, warehouse):
    sku, _ = hot_sku(api, warehouse, 3, 2)
    for shards in (1, 51):
        body = assert_problem(
            api.put(f"/admin/inventory/{sku}/hot", headers=warehouse, json={"shards": shards}),
            422,
            "INVALID_SHARD_COUNT",
        )
        assert (body["minimum"], body["maximum"]) == (2, 50)
    for bad in ({"shards": "four"}, {}, {"shards": 3, "extra": 1}):
        assert_problem(api.put(f"/admin/inventory/{sku}/hot", headers=warehouse, json=bad), 422, "INVALID_BODY")
    assert_problem(
        api.put("/admin/inventory/NO-SUCH-SKU/hot", headers=warehouse, json={"shards": 2}), 404, "SKU_NOT_STOCKED"
    )
    assert detail(api, warehouse, sku)["hot_shards"] == 2  # nothing changed


def test_staff_without_manage_inventory_cannot_mark_or_merge(api, warehouse, staff_token):
    sku, _ = hot_sku(api, warehouse, 3, 2)
    for group in ("order-manager", "finance", "marketing"):
        headers = auth(staff_token(group))
        put = api.put(f"/admin/inventory/{sku}/hot", headers=headers, json={"shards": 4})
        assert assert_problem(put, 403, "FORBIDDEN")["permission"] == "MANAGE_INVENTORY"
        assert_problem(api.delete(f"/admin/inventory/{sku}/hot", headers=headers), 403, "FORBIDDEN")
    assert detail(api, warehouse, sku)["hot_shards"] == 2


def test_merging_back_and_marking_again_rebalance_without_losing_a_unit(api, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 6, 3)
    order_id = placed(api, customer, sku, 1)
    held = stock_holds(order_id)[sku]
    merged = api.delete(f"/admin/inventory/{sku}/hot", headers=warehouse)
    assert merged.status_code == 200 and merged.json()["hot_shards"] == 0
    after = pools(api, warehouse, sku)
    assert after["STOCK"]["available"] == 5 and after[next(iter(held))]["reserved"] == 1  # the order's unit stays
    assert totals(api, warehouse, sku) == {"on_hand": 6, "reserved": 1, "available": 5}
    again = api.put(f"/admin/inventory/{sku}/hot", headers=warehouse, json={"shards": 5})
    assert again.json()["hot_shards"] == 5
    assert [v["available"] for p, v in pools(api, warehouse, sku).items() if p != "STOCK"] == [1, 1, 1, 1, 1]


# ---- placing --------------------------------------------------------------------------------------------
def test_more_buyers_than_units_at_once_accept_exactly_the_units(api, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 6, 3)
    tokens = [quote(api, customer, sku)["quote_token"] for _ in range(16)]
    with ThreadPoolExecutor(max_workers=16) as race:
        responses = list(race.map(lambda t: place(api, customer, t), tokens))
    assert sorted(r.status_code for r in responses) == [201] * 6 + [409] * 10
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {(b["code"], b["items"][0]["available"]) for b in refused} == {("INSUFFICIENT_STOCK", 0)}
    assert totals(api, warehouse, sku) == {"on_hand": 6, "reserved": 6, "available": 0}
    assert all(p["available"] == 0 and p["on_hand"] == p["reserved"] for p in pools(api, warehouse, sku).values())


def test_a_dry_shard_falls_through_and_a_line_no_shard_can_fill_is_gathered(api, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 4, 4)  # one unit per shard: most first guesses for 1 unit hit a dry one
    late = quote(api, customer, sku)["quote_token"]  # quoted while a unit was left
    first = placed(api, customer, sku, 3)  # no shard has 3: gathered from three
    assert sum(stock_holds(first)[sku].values()) == 3 and len(stock_holds(first)[sku]) == 3
    second = placed(api, customer, sku, 1)  # three of the four shards are dry now
    assert sum(stock_holds(second)[sku].values()) == 1
    refused = assert_problem(place(api, customer, late), 409, "INSUFFICIENT_STOCK")
    assert refused["items"] == [{"sku": sku, "requested": 1, "available": 0}]
    assert totals(api, warehouse, sku) == {"on_hand": 4, "reserved": 4, "available": 0}


# ---- releasing and dispatching -----------------------------------------------------------------------------
def test_a_cancelled_order_releases_to_the_shards_it_holds(api, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 8, 4)
    before = pools(api, warehouse, sku)
    order_id = placed(api, customer, sku, 3)
    held = stock_holds(order_id)[sku]
    during = pools(api, warehouse, sku)
    for pool, units in held.items():
        assert during[pool]["reserved"] == units and during[pool]["available"] == before[pool]["available"] - units
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert cancel(api, customer, order_id).status_code == 202
    status_becomes(api, customer, order_id, "cancelled")
    assert until(lambda: pools(api, warehouse, sku) == before, message="released to the same shards")
    assert totals(api, warehouse, sku) == {"on_hand": 8, "reserved": 0, "available": 8}


def test_an_expired_order_releases_to_its_shard(api, warehouse, customer, monkeypatch):
    sku, _ = hot_sku(api, warehouse, 4, 2)
    before = pools(api, warehouse, sku)
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "2")
    order_id = placed(api, customer, sku, 2, payment="tok_challenge")  # never completed: the window closes
    assert sum(p["reserved"] for p in pools(api, warehouse, sku).values()) == 2 and stock_holds(order_id)
    status_becomes(api, customer, order_id, "expired")
    assert pools(api, warehouse, sku) == before


def test_the_hand_over_deducts_from_the_shard_and_the_warehouse(api, cloud, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 5, 2)
    order_id, _ = shipped(api, cloud, customer, sku, 2)
    after = pools(api, warehouse, sku)
    for pool in stock_holds(order_id)[sku]:
        assert after[pool]["reserved"] == 0 and after[pool]["on_hand"] == after[pool]["available"]
    assert totals(api, warehouse, sku) == {"on_hand": 3, "reserved": 0, "available": 3}
    assert detail(api, warehouse, sku)["warehouses"] == [{"warehouse": "main", "on_hand": 3}]


# ---- the watch on the stream ----------------------------------------------------------------------------------
def test_order_changes_of_a_hot_sku_are_logged_and_its_summed_totals_go_on_the_low_stock_list(api, warehouse, customer):
    sku, _ = hot_sku(api, warehouse, 8, 2)  # threshold 5: not low
    placed(api, customer, sku, 2)
    placed(api, customer, sku, 2)  # available 4: low

    def low_listed() -> bool:
        page = api.get("/admin/inventory", headers=warehouse, params={"low_stock": "true", "sku_prefix": sku}).json()
        return [i["sku"] for i in page["items"]] == [sku]

    until(low_listed, message="on the low-stock list")
    logged = until(
        lambda: (
            sum(c["delta"] for c in detail(api, warehouse, sku)["changes"] if c["kind"] == "reservation") == 4 or None
        ),
        message="reservations logged",
    )
    assert logged
