"""Inventory on DynamoDB (table ``inventory``): ``SKU#<sku>``/``STOCK`` totals (the allocation
point) and ``SKU#<sku>``/``WH#<warehouse>`` per warehouse, changed together in one transaction.

Each item keeps ``available = on_hand - reserved`` as its own attribute, because a condition
expression cannot compute: every change that moves on_hand or reserved moves available with it, and
a decrease or a reservation is conditional on ``available >= :quantity``."""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.inventory.models import StockLevel
from commerce.inventory.service import StockBelowReserved

BATCH_GET = 100


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

    def adjust(self, sku: str, warehouse: str, delta: int) -> None:
        """One transaction over the SKU total and the warehouse row; a decrease may not take on_hand
        below what is reserved, in either."""

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

        try:
            client("dynamodb").transact_write_items(
                TransactItems=[update("STOCK"), update(f"WH#{warehouse}", warehouse=warehouse)]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StockBelowReserved(
                    f"{sku}: cannot remove {-delta} from {warehouse}; not enough unreserved stock.", sku=sku
                ) from error
            raise

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
        client("dynamodb").update_item(
            TableName=self._table,
            Key=marshal({"pk": f"SKU#{sku}", "sk": "STOCK"}),
            UpdateExpression=expression,
            ExpressionAttributeValues=values(zero=0, **fields),
        )
