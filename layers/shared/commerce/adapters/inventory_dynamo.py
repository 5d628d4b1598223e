"""Inventory on DynamoDB (table ``inventory``): ``SKU#<sku>``/``STOCK`` totals (the allocation
point) and ``SKU#<sku>``/``WH#<warehouse>`` per warehouse, changed together in one transaction.

Each item keeps ``available = on_hand - reserved`` as its own attribute, because a condition
expression cannot compute: every change that moves on_hand or reserved moves available with it, and
a decrease or a reservation is conditional on ``available >= :quantity``.

The back office adds (docs/back-office.md, "Inventory"):
- ``SKU#<sku>``/``LOG#<at>#<change id>``: the SKU's change log. Staff changes write their entry in
  the change's own transaction; order-driven ones are written from the stream (inventory-watch-stock).
- ``LIST#SKUS``/``<sku>``: every SKU with stock and the warehouses it has been in (written by the
  staff and system paths that create stock, never by orders), the back office's listing.
- ``LIST#LOW_STOCK``/``<sku>``: the SKUs at or below their threshold (kept by the stream consumer).
- ``IDEMPOTENCY#<key>``/``STOCK_CHANGE``: a staff change's Idempotency-Key, with what it meant.

Hot SKUs (docs/inventory.md, ``commerce.inventory.hot``): ``SKU#<sku>#SHARD#<k>``/``SHARD`` items,
each a slice of the SKU's stock with its own on_hand, reserved and available, in their own
partitions (a partition key each: items of one partition key share one partition's write rate).
The ``STOCK`` item (the *base* pool) says how many shards exist (``shards``) and how many take
placements (``hot_shards``); ``LIST#HOT``/``<sku>`` lists the hot SKUs for placement's first guess.
The SKU's totals are the sums over the base and its shards."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.adapters.dynamo_pages import batch_get, cursor_start, query_page
from commerce.common.errors import InvalidInput
from commerce.inventory.admin import Idempotency
from commerce.inventory.errors import AlreadyApplied, SkuNotStocked, StockContended, WarehouseShort
from commerce.inventory.hot import (
    BASE,
    Hold,
    HotLayouts,
    Layout,
    Pool,
    adjustment,
    allocate,
    first_guess,
    holds_of,
    lines_by_sku,
    rebalance,
    shard,
)
from commerce.inventory.hot import SHARD as SHARD
from commerce.inventory.models import PoolStock, StockChange, StockLevel, StockView, stock_view
from commerce.inventory.service import StockBelowReserved

BATCH_GET = 100
SKUS = "LIST#SKUS"
LOW_STOCK = "LIST#LOW_STOCK"
HOT = "LIST#HOT"
SHARD_SK = "SHARD"
STAFF_ATTEMPTS = 5  # a staff change re-reads and tries again when orders moved the pools meanwhile
CURSOR_FIELDS = frozenset({"pk", "sk"})


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


def pool_key(sku: str, pool: str) -> dict[str, str]:
    """The item of one of a SKU's pools: the base is ``SKU#<sku>``/``STOCK``; a shard has a partition
    key of its own."""
    return {"pk": f"SKU#{sku}", "sk": "STOCK"} if pool == BASE else {"pk": f"SKU#{sku}#{pool}", "sk": SHARD_SK}


def _pool(item: dict[str, Any], name: str) -> Pool:
    return Pool(name, int(item.get("on_hand", 0)), int(item.get("reserved", 0)), int(item.get("available", 0)))


def _layout(stock: dict[str, Any] | None, shards: dict[str, dict[str, Any]]) -> Layout:
    pools = {name: _pool(item, name) for name, item in shards.items()}
    if stock is not None:
        pools[BASE] = _pool(stock, BASE)
    stock = stock or {}
    return Layout(active=int(stock.get("hot_shards", 0)), shards=int(stock.get("shards", 0)), pools=pools)


class DynamoStockRepository:
    def __init__(self, table: str, rng: random.Random | None = None) -> None:
        self._table = table
        self._rng = rng or random.Random()
        self._hot = HotLayouts()  # placement's first guess (one per process: the adapter is cached)

    # ---- reading a SKU's pools ---------------------------------------------------------------------------
    def _get_many(self, keys: list[dict[str, str]], consistent: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET):
            chunk = {"Keys": [marshal(k) for k in keys[start : start + BATCH_GET]], "ConsistentRead": consistent}
            request: dict[str, Any] = {self._table: chunk}
            while request:
                response = client("dynamodb").batch_get_item(RequestItems=request)
                found += [unmarshal(raw) for raw in response["Responses"].get(self._table, [])]
                request = response.get("UnprocessedKeys") or {}
        return found

    def _shards_of(self, stocks: dict[str, dict[str, Any]], consistent: bool) -> dict[str, dict[str, dict[str, Any]]]:
        """The shard items of the sharded SKUs among ``stocks`` (their STOCK items): one BatchGet."""
        keys = [pool_key(sku, shard(k)) for sku, item in stocks.items() for k in range(int(item.get("shards", 0)))]
        shards: dict[str, dict[str, dict[str, Any]]] = {}
        for item in self._get_many(keys, consistent) if keys else []:
            shards.setdefault(str(item["sku"]), {})[str(item["pool"])] = item
        return shards

    def layouts(self, skus: list[str], consistent: bool = True) -> dict[str, tuple[dict[str, Any], Layout]]:
        """Each stocked SKU's STOCK item and pools: one BatchGet, and one more when some are sharded."""
        stocks = {
            str(item["sku"]): item
            for item in self._get_many([pool_key(sku, BASE) for sku in skus], consistent)
            if "sku" in item
        }
        shards = self._shards_of(stocks, consistent)
        return {sku: (item, _layout(item, shards.get(sku, {}))) for sku, item in stocks.items()}

    def levels(self, skus: list[str]) -> dict[str, StockLevel]:
        """The SKUs' totals (a sharded SKU's: the sums over its pools); eventually consistent."""
        return {sku: _level(item, layout) for sku, (item, layout) in self.layouts(skus, consistent=False).items()}

    # ---- reservations, as items of a caller's transaction (orders does not know this layout) --------
    def warm(self) -> None:
        """Learn the hot SKUs once per process (one Query of the hot list), before the first guess."""
        if self._hot.seeded:
            return
        response = client("dynamodb").query(
            TableName=self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=values(pk=HOT)
        )
        self._hot.seed({str(i["sku"]): int(i.get("shards", 0)) for i in map(unmarshal, response.get("Items", []))})

    def plan(self, lines: list[tuple[str, int]]) -> list[Hold]:
        """Placement's first guess, with no read: a random shard of a SKU known to be hot, else the base."""
        return first_guess(lines, self._hot.snapshot(), self._rng)

    def replan(
        self, lines: list[tuple[str, int]], holds: list[Hold], failed: set[str]
    ) -> tuple[list[Hold] | None, dict[str, int]]:
        """The failure path: the pools of the SKUs whose reservation failed are read (consistently)
        and each is allocated again where units are. (the new holds, or None when some SKU's pools
        together are short; the units available of those short SKUs)."""
        read = self.layouts(sorted(failed))
        wanted = lines_by_sku(lines)
        planned = [h for h in holds if h.sku not in failed]
        short: dict[str, int] = {}
        for sku in sorted(failed):
            layout = read[sku][1] if sku in read else Layout(0, 0, {})
            self._hot.learn(sku, layout.active)
            got = allocate(sku, wanted[sku], layout, self._rng)
            if got is None:
                short[sku] = layout.available
            else:
                planned += got
        return (None if short else planned), short

    def reserve_items(self, holds: list[Hold]) -> list[dict[str, Any]]:
        """Per hold: ``reserved += q, available -= q`` on its pool if ``available >= q``. A pool
        with no item fails the condition too (nothing to reserve)."""
        return [self._move_item(h.sku, h.pool, h.quantity, "available >= :q") for h in holds]

    def reservation_items(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """Per (sku, quantity), on the SKU's base pool (an unsharded SKU's only one)."""
        return self.reserve_items(holds_of(lines, None))

    def release_items(
        self, lines: list[tuple[str, int]], record: dict[str, dict[str, int]] | None = None
    ) -> list[dict[str, Any]]:
        """The reverse of the reservation, in the pools ``record`` names (the order's
        ``stock_holds``; the base for the rest), conditional on ``reserved >= q`` (never negative)."""
        return [self._move_item(h.sku, h.pool, -h.quantity, "reserved >= :q") for h in holds_of(lines, record)]

    def deduct_items(
        self, lines: list[tuple[str, int]], warehouse: str, record: dict[str, dict[str, int]] | None = None
    ) -> list[dict[str, Any]]:
        """The goods left with the carrier: per hold ``on_hand -= q, reserved -= q`` on its pool
        (available unchanged), if ``reserved >= q``; and per SKU ``on_hand -= q`` on the dispatching
        warehouse's row, if it holds them. Neither can go negative."""
        items: list[dict[str, Any]] = []
        holds = holds_of(lines, record)
        for hold in holds:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": marshal(pool_key(hold.sku, hold.pool)),
                        "UpdateExpression": "ADD on_hand :minus, reserved :minus",
                        "ConditionExpression": "reserved >= :q AND on_hand >= :q",
                        "ExpressionAttributeValues": values(minus=-hold.quantity, q=hold.quantity),
                    }
                }
            )
        for sku, quantity in lines_by_sku(lines).items():
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": marshal({"pk": f"SKU#{sku}", "sk": f"WH#{warehouse}"}),
                        "UpdateExpression": "ADD on_hand :minus, available :minus",
                        "ConditionExpression": "on_hand >= :q",
                        "ExpressionAttributeValues": values(minus=-quantity, q=quantity),
                    }
                }
            )
        return items

    def _move_item(self, sku: str, pool: str, reserve: int, condition: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": marshal(pool_key(sku, pool)),
                "UpdateExpression": "ADD reserved :r, available :a",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values(r=reserve, a=-reserve, q=abs(reserve)),
            }
        }

    # ---- staff changes ---------------------------------------------------------------------------------
    def _pool_update(
        self, sku: str, pool: str, delta: int, guard: tuple[str, dict[str, Any]] | None = None, **extra: Any
    ) -> dict[str, Any]:
        """``on_hand`` and ``available`` of one pool (or warehouse row: ``pool`` = ``WH#<w>``) move by
        ``delta``, never below zero available; the item is created when missing. ``guard``: a
        further condition (and its values) the item must meet."""
        key = {"pk": f"SKU#{sku}", "sk": pool} if pool.startswith("WH#") else pool_key(sku, pool)
        if pool.startswith(SHARD):
            extra["pool"] = pool
        sets = ", ".join(["sku = :sku", "reserved = if_not_exists(reserved, :zero)", *(f"#{k} = :{k}" for k in extra)])
        change: dict[str, Any] = {
            "TableName": self._table,
            "Key": marshal(key),
            "UpdateExpression": f"SET {sets} ADD on_hand :delta, available :delta",
            "ExpressionAttributeValues": values(sku=sku, zero=0, delta=delta, **extra),
        }
        if extra:
            change["ExpressionAttributeNames"] = {f"#{k}": k for k in extra}
        conditions = []
        if delta < 0:  # DynamoDB conditions cannot do arithmetic: available is kept = on_hand - reserved
            conditions.append("available >= :take")
            change["ExpressionAttributeValues"] |= values(take=-delta)
        if guard is not None:
            conditions.append(f"({guard[0]})")
            change["ExpressionAttributeValues"] |= values(**guard[1])
        if conditions:
            change["ConditionExpression"] = " AND ".join(conditions)
        return {"Update": change}

    def _layout_of(self, sku: str) -> tuple[dict[str, Any] | None, Layout]:
        found = self.layouts([sku]).get(sku)
        return (found[0], found[1]) if found else (None, Layout(0, 0, {}))

    @staticmethod
    def _same_layout(layout: Layout) -> tuple[str, dict[str, Any]]:
        """The STOCK item's condition that the SKU's layout is still the one read."""
        if layout.active == 0 and layout.shards == 0:
            return "attribute_not_exists(hot_shards) AND attribute_not_exists(shards)", {}
        return "hot_shards = :active AND shards = :shards", {"active": layout.active, "shards": layout.shards}

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        entry: StockChange | None = None,
        idempotency: Idempotency | None = None,
    ) -> None:
        """One transaction over the SKU's pools and the warehouse row; a decrease may not take on_hand
        below what is reserved, in either. Added units go to the active shards of a hot SKU (evenly),
        removed ones come from what its pools have available. With ``entry`` the change log gets it in
        the same transaction; with ``idempotency`` a key used before raises AlreadyApplied, nothing
        changed. The pools are read first to plan where the units go; every write is conditional,
        and a plan that orders overtook is made again."""
        for _ in range(STAFF_ATTEMPTS):
            layout = self._layout_of(sku)[1]
            moves = adjustment(delta, layout)
            if moves is None:
                raise StockBelowReserved(
                    f"{sku}: cannot remove {-delta} from {warehouse}; not enough unreserved stock.", sku=sku
                )
            pools = [self._pool_update(sku, BASE, moves.pop(BASE, 0), self._same_layout(layout))]
            pools += [self._pool_update(sku, pool, units) for pool, units in sorted(moves.items())]
            items = [*pools, self._pool_update(sku, f"WH#{warehouse}", delta, warehouse=warehouse)]
            items += [self._listed(sku, warehouse), *self._logged(entry, idempotency)]
            failed = self._transact(items, idempotency, conflicts=True)
            if not failed:
                return
            if failed == {len(pools)}:
                held = self._warehouse_on_hand(sku, warehouse)
                raise WarehouseShort(
                    f"{sku}: {warehouse} holds {held}; cannot remove {-delta}.",
                    sku=sku,
                    warehouse=warehouse,
                    on_hand=held,
                )
            # orders (or another staff change) moved the pools since they were read: plan again
        raise StockContended(f"{sku}'s stock keeps changing; nothing was changed. Try again.", sku=sku)

    def set_hot(self, sku: str, active: int, entry: StockChange) -> None:
        """Spread the SKU's available units evenly over ``active`` shards (created as needed) and send
        placements there; ``active`` 0 merges them back into the base. Reservations stay in the pools
        that hold them (their orders release or dispatch them there), so shards that hold any stay
        known (``shards`` never shrinks). One transaction, conditional on every pool still having
        what it gives and on the layout read; re-planned when orders moved the pools meanwhile."""
        for _ in range(STAFF_ATTEMPTS):
            stock, layout = self._layout_of(sku)
            if stock is None:
                raise SkuNotStocked(f"{sku} has no stock record.", sku=sku)
            moves = rebalance(layout, active)
            same, known = self._same_layout(layout)
            base = self._pool_update(sku, BASE, moves.pop(BASE, 0), (same, known))
            update = base["Update"]
            update["UpdateExpression"] = update["UpdateExpression"].replace(
                "SET ", "SET hot_shards = :new_active, shards = :new_shards, ", 1
            )
            update["ExpressionAttributeValues"] |= values(new_active=active, new_shards=max(layout.shards, active))
            listed: dict[str, Any]
            if active:
                listed = {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal({"pk": HOT, "sk": sku, "sku": sku, "shards": active}),
                    }
                }
            else:
                listed = {"Delete": {"TableName": self._table, "Key": marshal({"pk": HOT, "sk": sku})}}
            items = [base, *(self._pool_update(sku, pool, units) for pool, units in sorted(moves.items()))]
            if not self._transact([*items, listed, *self._logged(entry, None)], None, conflicts=True):
                return
        raise StockContended(f"{sku}'s stock keeps changing; nothing was changed. Try again.", sku=sku)

    def transfer(self, entry: StockChange, idempotency: Idempotency | None = None) -> None:
        """Moves ``entry.delta`` units of ``entry.sku`` from ``entry.warehouse`` to
        ``entry.to_warehouse`` in one transaction (the SKU totals do not change); the source must
        hold them. Raises SkuNotStocked, WarehouseShort or AlreadyApplied."""
        sku, source, target, quantity = entry.sku, str(entry.warehouse), str(entry.to_warehouse), entry.delta
        items: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal({"pk": f"SKU#{sku}", "sk": f"WH#{source}"}),
                    "UpdateExpression": "ADD on_hand :minus, available :minus",
                    "ConditionExpression": "available >= :q",
                    "ExpressionAttributeValues": values(minus=-quantity, q=quantity),
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal({"pk": f"SKU#{sku}", "sk": f"WH#{target}"}),
                    "UpdateExpression": "SET sku = :sku, warehouse = :wh, reserved = if_not_exists(reserved, :zero) "
                    "ADD on_hand :q, available :q",
                    "ExpressionAttributeValues": values(sku=sku, wh=target, zero=0, q=quantity),
                }
            },
            self._listed(sku, target),
            *self._logged(entry, idempotency),
        ]
        failed = self._transact(items, idempotency)
        if 0 in failed:
            raise SkuNotStocked(f"{sku} has no stock record.", sku=sku)
        if 1 in failed:
            held = self._warehouse_on_hand(sku, source)
            raise WarehouseShort(
                f"{sku}: {source} holds {held}; cannot move {quantity}.", sku=sku, warehouse=source, on_hand=held
            )

    def set_threshold(self, sku: str, threshold: int, entry: StockChange) -> None:
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
                    "UpdateExpression": "SET low_stock_threshold = :t",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": values(t=threshold),
                }
            },
            *self._logged(entry, None),
        ]
        if self._transact(items, None):
            raise SkuNotStocked(f"{sku} has no stock record.", sku=sku)

    def _transact(
        self, items: list[dict[str, Any]], idempotency: Idempotency | None, conflicts: bool = False
    ) -> set[int]:
        """Runs the transaction; the indexes of the items whose condition failed (empty: it went
        through). The Idempotency-Key record is the last item: its failure raises AlreadyApplied. A
        transaction cancelled for another reason is raised as is, except, with ``conflicts``, one that
        collided with a concurrent transaction (an order's, on a hot SKU): ``{-1}``, to try again."""
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            failed = _failed(error)
            if idempotency is not None and len(items) - 1 in failed:
                raise AlreadyApplied() from error
            if not failed:
                if conflicts and _conflicted(error):
                    return {-1}
                raise
            return failed
        return set()

    def _listed(self, sku: str, warehouse: str | None) -> dict[str, Any]:
        """The SKU's entry in the back office's listing (and the warehouses it has been in)."""
        change: dict[str, Any] = {
            "TableName": self._table,
            "Key": marshal({"pk": SKUS, "sk": sku}),
            "UpdateExpression": "SET sku = :sku" + (" ADD warehouses :wh" if warehouse else ""),
            "ExpressionAttributeValues": values(sku=sku, **({"wh": {warehouse}} if warehouse else {})),
        }
        return {"Update": change}

    def _logged(self, entry: StockChange | None, idempotency: Idempotency | None) -> list[dict[str, Any]]:
        """The change log entry, then the Idempotency-Key record (always last: its index is known)."""
        items: list[dict[str, Any]] = []
        if entry is not None:
            items.append({"Put": {"TableName": self._table, "Item": marshal(_log_item(entry))}})
        if idempotency is not None:
            assert entry is not None, "an idempotent change is a logged one"
            record = {
                "pk": f"IDEMPOTENCY#{idempotency.key}",
                "sk": "STOCK_CHANGE",
                "fingerprint": idempotency.fingerprint,
                "change": entry.model_dump(exclude_none=True),
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(record),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        return items

    def _warehouse_on_hand(self, sku: str, warehouse: str) -> int:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": f"SKU#{sku}", "sk": f"WH#{warehouse}"}))
            .get("Item")
        )
        return int(unmarshal(item).get("on_hand", 0)) if item else 0

    def applied(self, key: str) -> tuple[str, StockChange] | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": f"IDEMPOTENCY#{key}", "sk": "STOCK_CHANGE"}))
            .get("Item")
        )
        if not item:
            return None
        record = unmarshal(item)
        return str(record["fingerprint"]), StockChange.model_validate(record["change"])

    # ---- the back office's reads ---------------------------------------------------------------------
    def stock(self, sku: str) -> StockView | None:
        """The SKU's totals and its warehouses (one Query: ``STOCK`` sorts before ``WH#``)."""
        page = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :stock",
            ExpressionAttributeValues=values(pk=f"SKU#{sku}", stock="STOCK"),
        )
        items = [unmarshal(raw) for raw in page.get("Items", [])]
        total = next((i for i in items if i["sk"] == "STOCK"), None)
        if total is None:
            return None
        warehouses = {i["warehouse"]: int(i.get("on_hand", 0)) for i in items if i["sk"].startswith("WH#")}
        layout = _layout(total, self._shards_of({sku: total}, consistent=False).get(sku, {}))  # sharded: 1 more read
        return stock_view(_level(total, layout), warehouses, _pools_view(layout))

    def stock_page(
        self, prefix: str | None, low_only: bool, limit: int, cursor: str | None
    ) -> tuple[list[StockView], str | None]:
        """A page of the listing (SKU order): every SKU with stock, or only the low ones (the list
        the stream keeps, re-checked against the live totals)."""
        listing = LOW_STOCK if low_only else SKUS
        start = cursor_start(cursor, CURSOR_FIELDS, lambda key: key["pk"] == listing, _bad_cursor)
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
            "ExpressionAttributeValues": values(pk=listing, **({"prefix": prefix} if prefix else {})),
        }
        rows, next_cursor = query_page(request, limit, start)
        skus = [str(row["sk"]) for row in rows]
        found = {
            (item["pk"], item["sk"]): item
            for item in batch_get(
                self._table,
                [{"pk": f"SKU#{sku}", "sk": "STOCK"} for sku in skus] + [{"pk": SKUS, "sk": sku} for sku in skus],
            )
        }
        where = {sku: sorted((found.get((SKUS, sku)) or {}).get("warehouses") or []) for sku in skus}
        rows_of_warehouses = batch_get(
            self._table, [{"pk": f"SKU#{sku}", "sk": f"WH#{w}"} for sku in skus for w in where[sku]]
        )
        held = {(i["sku"], i["warehouse"]): int(i.get("on_hand", 0)) for i in rows_of_warehouses}
        totals = {sku: found[(f"SKU#{sku}", "STOCK")] for sku in skus if (f"SKU#{sku}", "STOCK") in found}
        shards = self._shards_of(totals, consistent=False)  # the sharded SKUs' shards: one more BatchGet
        views = []
        for sku in skus:
            total = totals.get(sku)
            if total is None:
                continue
            layout = _layout(total, shards.get(sku, {}))
            warehouses = {w: held.get((sku, w), 0) for w in where[sku]}
            view = stock_view(_level(total, layout), warehouses, _pools_view(layout))
            if view.low_stock or not low_only:
                views.append(view)
        return views, next_cursor

    def changes(self, sku: str, limit: int, cursor: str | None) -> tuple[list[StockChange], str | None]:
        start = cursor_start(cursor, CURSOR_FIELDS, lambda key: key["pk"] == f"SKU#{sku}", _bad_cursor)
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :log)",
            "ExpressionAttributeValues": values(pk=f"SKU#{sku}", log="LOG#"),
            "ScanIndexForward": False,
        }
        items, next_cursor = query_page(request, limit, start)
        fields = StockChange.model_fields
        return [StockChange.model_validate({k: v for k, v in i.items() if k in fields}) for i in items], next_cursor

    # ---- the stream consumer's writes (commerce.inventory.watch) --------------------------------------
    def append_changes(self, changes: list[StockChange]) -> None:
        writes = [{"PutRequest": {"Item": marshal(_log_item(c))}} for c in changes]
        for start in range(0, len(writes), 25):
            pending: dict[str, Any] = {self._table: writes[start : start + 25]}
            while pending:
                pending = client("dynamodb").batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def low_listed(self, skus: list[str]) -> set[str]:
        """Which of the SKUs are on the low-stock list."""
        return {str(i["sk"]) for i in self._get_many([{"pk": LOW_STOCK, "sk": sku} for sku in skus], True)}

    def mark_low(self, sku: str, since: str) -> None:
        item = {"pk": LOW_STOCK, "sk": sku, "sku": sku, "since": since}
        client("dynamodb").put_item(TableName=self._table, Item=marshal(item))

    def clear_low(self, sku: str) -> None:
        client("dynamodb").delete_item(TableName=self._table, Key=marshal({"pk": LOW_STOCK, "sk": sku}))

    def set_backorder(self, sku: str, eta: date | None, low_stock_threshold: int | None) -> None:
        fields: dict[str, Any] = {"sku": sku}
        if low_stock_threshold is not None:
            fields["low_stock_threshold"] = low_stock_threshold
        if eta is not None:
            fields["backorder_eta"] = eta.isoformat()
        sets = [
            "on_hand = if_not_exists(on_hand, :zero)",
            "reserved = if_not_exists(reserved, :zero)",
            "available = if_not_exists(available, :zero)",
        ]
        sets += [f"{k} = :{k}" for k in fields]
        expression = "SET " + ", ".join(sets) + (" REMOVE backorder_eta" if eta is None else "")
        stock = {
            "Update": {
                "TableName": self._table,
                "Key": marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
                "UpdateExpression": expression,
                "ExpressionAttributeValues": values(zero=0, **fields),
            }
        }
        client("dynamodb").transact_write_items(TransactItems=[stock, self._listed(sku, None)])


def _level(stock: dict[str, Any], layout: Layout) -> StockLevel:
    """The SKU's level: its STOCK item's settings with the totals summed over its pools."""
    on_hand, reserved, available = layout.totals()
    return StockLevel.model_validate(stock | {"on_hand": on_hand, "reserved": reserved, "available": available})


def _pools_view(layout: Layout) -> list[PoolStock]:
    if not layout.shards:
        return []
    return [
        PoolStock(pool=p.name, on_hand=p.on_hand, reserved=p.reserved, available=p.available)
        for p in sorted(layout.pools.values(), key=lambda p: (p.name != BASE, len(p.name), p.name))
    ]


def _conflicted(error: ClientError) -> bool:
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") == "TransactionConflict" for reason in reasons)


def _failed(error: ClientError) -> set[int]:
    """The indexes of a cancelled transaction's items whose condition failed."""
    reasons = error.response.get("CancellationReasons") or []
    return {i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}


def _log_item(entry: StockChange) -> dict[str, Any]:
    return {"pk": f"SKU#{entry.sku}", "sk": f"LOG#{entry.at}#{entry.change_id}", **entry.model_dump(exclude_none=True)}


def _bad_cursor() -> InvalidCursor:
    return InvalidCursor("The cursor is not one this listing gave out.")
