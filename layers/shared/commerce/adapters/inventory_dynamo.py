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
- ``IDEMPOTENCY#<key>``/``STOCK_CHANGE``: a staff change's Idempotency-Key, with what it meant."""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.adapters.dynamo_pages import batch_get, cursor_start, query_page
from commerce.common.errors import InvalidInput
from commerce.inventory.admin import Idempotency
from commerce.inventory.errors import AlreadyApplied, SkuNotStocked, WarehouseShort
from commerce.inventory.models import StockChange, StockLevel, StockView, stock_view
from commerce.inventory.service import StockBelowReserved

BATCH_GET = 100
SKUS = "LIST#SKUS"
LOW_STOCK = "LIST#LOW_STOCK"
CURSOR_FIELDS = frozenset({"pk", "sk"})


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


class DynamoStockRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def levels(self, skus: list[str]) -> dict[str, StockLevel]:
        found: dict[str, StockLevel] = {}
        for start in range(0, len(skus), BATCH_GET):
            keys = [marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}) for sku in skus[start : start + BATCH_GET]]
            request: dict[str, Any] = {self._table: {"Keys": keys}}
            while request:
                response = client("dynamodb").batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self._table, []):
                    item = unmarshal(raw)
                    found[item["sku"]] = StockLevel.model_validate(item)
                request = response.get("UnprocessedKeys") or {}
        return found

    # ---- reservations, as items of a caller's transaction (orders does not know this layout) --------
    def reservation_items(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """Per (sku, quantity): ``reserved += q, available -= q`` if ``available >= q``. A SKU with
        no STOCK item fails the condition too (nothing to reserve)."""
        return [self._move_item(sku, quantity, "available >= :q") for sku, quantity in lines]

    def release_items(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """The reverse of ``reservation_items``, conditional on ``reserved >= q`` (never negative)."""
        return [self._move_item(sku, -quantity, "reserved >= :q") for sku, quantity in lines]

    def deduct_items(self, lines: list[tuple[str, int]], warehouse: str) -> list[dict[str, Any]]:
        """The goods left with the carrier: per (sku, quantity) ``on_hand -= q, reserved -= q`` on the
        SKU total (available unchanged), if ``reserved >= q``; and ``on_hand -= q`` on the
        dispatching warehouse's row, if it holds them. Neither can go negative."""
        items: list[dict[str, Any]] = []
        for sku, quantity in lines:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
                        "UpdateExpression": "ADD on_hand :minus, reserved :minus",
                        "ConditionExpression": "reserved >= :q AND on_hand >= :q",
                        "ExpressionAttributeValues": values(minus=-quantity, q=quantity),
                    }
                }
            )
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

    def _move_item(self, sku: str, reserve: int, condition: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
                "UpdateExpression": "ADD reserved :r, available :a",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values(r=reserve, a=-reserve, q=abs(reserve)),
            }
        }

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        entry: StockChange | None = None,
        idempotency: Idempotency | None = None,
    ) -> None:
        """One transaction over the SKU total and the warehouse row; a decrease may not take on_hand
        below what is reserved, in either. With ``entry`` the change log gets it in the same
        transaction; with ``idempotency`` a key used before raises AlreadyApplied, nothing changed."""

        def update(sk: str, **extra: str) -> dict[str, Any]:
            sets = ", ".join(
                ["sku = :sku", "reserved = if_not_exists(reserved, :zero)", *(f"{k} = :{k}" for k in extra)]
            )
            change: dict[str, Any] = {
                "TableName": self._table,
                "Key": marshal({"pk": f"SKU#{sku}", "sk": sk}),
                "UpdateExpression": f"SET {sets} ADD on_hand :delta, available :delta",
                "ExpressionAttributeValues": values(sku=sku, zero=0, delta=delta, **extra),
            }
            if delta < 0:  # DynamoDB conditions cannot do arithmetic: available is kept = on_hand - reserved
                change["ConditionExpression"] = "available >= :take"
                change["ExpressionAttributeValues"] |= values(take=-delta)
            return {"Update": change}

        items = [update("STOCK"), update(f"WH#{warehouse}", warehouse=warehouse), self._listed(sku, warehouse)]
        failed = self._transact([*items, *self._logged(entry, idempotency)], idempotency)
        if failed == {1}:
            held = self._warehouse_on_hand(sku, warehouse)
            raise WarehouseShort(
                f"{sku}: {warehouse} holds {held}; cannot remove {-delta}.", sku=sku, warehouse=warehouse, on_hand=held
            )
        if failed:
            raise StockBelowReserved(
                f"{sku}: cannot remove {-delta} from {warehouse}; not enough unreserved stock.", sku=sku
            )

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

    def _transact(self, items: list[dict[str, Any]], idempotency: Idempotency | None) -> set[int]:
        """Runs the transaction; the indexes of the items whose condition failed (empty: it went
        through). The Idempotency-Key record is the last item: its failure raises AlreadyApplied. A
        transaction cancelled for another reason (a conflict with a concurrent one) is raised as is."""
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            failed = _failed(error)
            if idempotency is not None and len(items) - 1 in failed:
                raise AlreadyApplied() from error
            if not failed:
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
        return stock_view(StockLevel.model_validate(total), warehouses)

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
        views = []
        for sku in skus:
            total = found.get((f"SKU#{sku}", "STOCK"))
            if total is None:
                continue
            view = stock_view(StockLevel.model_validate(total), {w: held.get((sku, w), 0) for w in where[sku]})
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


def _failed(error: ClientError) -> set[int]:
    """The indexes of a cancelled transaction's items whose condition failed."""
    reasons = error.response.get("CancellationReasons") or []
    return {i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}


def _log_item(entry: StockChange) -> dict[str, Any]:
    return {"pk": f"SKU#{entry.sku}", "sk": f"LOG#{entry.at}#{entry.change_id}", **entry.model_dump(exclude_none=True)}


def _bad_cursor() -> InvalidCursor:
    return InvalidCursor("The cursor is not one this listing gave out.")
