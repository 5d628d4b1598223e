"""Orders on DynamoDB (table ``orders``), see docs/orders.md:

- ``ORDER#<id>``/``ORDER``: the order (native attributes); ``customer_id`` + ``created_at`` feed
  GSI ``by_customer``; ``hold_shard`` + ``reserved_until`` feed the sparse GSI ``holds`` while the
  order holds stock (removed when it releases it);
- ``ORDER#<id>``/``EVENT#<seq>``: the timeline (the outbox rows of the coming stream publisher);
- ``IDEMPOTENCY#<customer>#<key>``/``IDEMPOTENCY``: request body hash and the order it placed.

Placing writes those plus the quote-used marker (``QUOTE#<id>``/``USED`` in the carts table) and
the stock reservations (built by the inventory adapter) in ONE ``TransactWriteItems``."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Protocol

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.common.errors import TemporarilyUnavailable, is_throttling
from commerce.fulfilment.models import Shipment
from commerce.inventory.errors import StockContended
from commerce.inventory.hot import Hold, record_of
from commerce.orders import admin as staff_keys
from commerce.orders.errors import (
    DuplicateEvent,
    IdempotencyRecordExists,
    InsufficientStock,
    InvalidCursor,
    OrderStateConflict,
    QuoteAlreadyUsed,
)
from commerce.orders.models import IdempotencyRecord, Order, OrderStatus, TimelineEntry
from commerce.orders.ports import OrderWrite
from commerce.orders.service import hold_shard

PLACE_ATTEMPTS = 4  # the placement transaction, then at most 3 more on the short-shard failure path
STOCK_RETRIED = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
USED_MARKER_DAYS = 2  # the USED marker outlives the quote (and its token) it guards
ORDER_FIELDS = frozenset(Order.model_fields)
TIMELINE_FIELDS = frozenset(TimelineEntry.model_fields)
SHIPMENT_FIELDS = frozenset(Shipment.model_fields)
CLAIM_DAYS = 30  # a partner's event id is remembered this long (its retries stop well before)


def _claim_expiry() -> int:
    return int(time.time()) + CLAIM_DAYS * 86400


class StockLedger(Protocol):
    """The inventory adapter's transaction items (orders never sees inventory's keys). A hot SKU's
    stock is split over shards (docs/inventory.md): ``plan`` guesses the pools with no read,
    ``replan`` (the failure path) reads them and allocates again, and the order stores where its
    units are (``stock_holds``) for the release and the dispatch."""

    def warm(self) -> None: ...

    def plan(self, lines: list[tuple[str, int]]) -> list[Hold]: ...

    def replan(
        self, lines: list[tuple[str, int]], holds: list[Hold], failed: set[str]
    ) -> tuple[list[Hold] | None, dict[str, int]]: ...

    def reserve_items(self, holds: list[Hold]) -> list[dict[str, Any]]: ...

    def release_items(
        self, lines: list[tuple[str, int]], record: dict[str, dict[str, int]] | None = None
    ) -> list[dict[str, Any]]: ...

    def deduct_items(
        self, lines: list[tuple[str, int]], warehouse: str, record: dict[str, dict[str, int]] | None = None
    ) -> list[dict[str, Any]]: ...


def _unless_throttled(error: ClientError) -> None:
    """A transaction DynamoDB cancelled for throughput (not for a condition) changed nothing and
    says nothing about the order: TemporarilyUnavailable (503, an ASL Retry, a redelivery), never
    a state conflict or short stock."""
    if is_throttling(error):
        raise TemporarilyUnavailable("The orders table is throttled; nothing was written.") from error


def _lines(order: Order) -> list[tuple[str, int]]:
    return [(line.sku, line.quantity) for line in order.lines]


class DynamoOrderRepository:
    def __init__(self, table: str, carts_table: str, stock: StockLedger) -> None:
        self._table = table
        self._carts = carts_table
        self._stock = stock

    # ---- placing ------------------------------------------------------------------------------------
    def place_items(
        self,
        order: Order,
        first: TimelineEntry,
        idempotency: IdempotencyRecord,
        quote_expires_at: int,
        holds: list[Hold] | None = None,
    ) -> list[dict[str, Any]]:
        """The transaction, in this order: idempotency, order, timeline, quote marker, then one
        reservation per hold (per line, unless a hot SKU's line is split over shards)."""
        holds = self._stock.plan(_lines(order)) if holds is None else holds
        stock_holds = record_of(holds)
        order_item = {
            "pk": f"ORDER#{order.order_id}",
            "sk": "ORDER",
            **order.model_dump(mode="json", exclude_none=True),
            "hold_shard": hold_shard(order.order_id),
            # the staff indexes (commerce/orders/admin.py): every order, and by status
            "list_shard": staff_keys.list_shard(order.order_id),
            "status_key": staff_keys.status_key(order.order_id, order.status),
            **({"stock_holds": stock_holds} if stock_holds else {}),
        }
        not_exists = "attribute_not_exists(pk)"
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {
                            "pk": f"IDEMPOTENCY#{idempotency.customer_id}#{idempotency.key}",
                            "sk": "IDEMPOTENCY",
                            "idempotency_key": idempotency.key,
                            "owner": idempotency.customer_id,  # not customer_id: keeps it out of by_customer
                            "body_hash": idempotency.body_hash,
                            "order_id": idempotency.order_id,
                            "created_at": order.created_at,
                        }
                    ),
                    "ConditionExpression": not_exists,
                }
            },
            {"Put": {"TableName": self._table, "Item": marshal(order_item), "ConditionExpression": not_exists}},
            {"Put": {"TableName": self._table, "Item": marshal(self._entry(order.order_id, first))}},
            {
                "Put": {
                    "TableName": self._carts,
                    "Item": marshal(
                        {
                            "pk": f"QUOTE#{order.quote_id}",
                            "sk": "USED",
                            "order_id": order.order_id,
                            "used_at": order.created_at,
                            "expires_at": quote_expires_at + USED_MARKER_DAYS * 86_400,
                        }
                    ),
                    "ConditionExpression": not_exists,
                }
            },
            *self._stock.reserve_items(holds),
        ]

    def place(self, order: Order, first: TimelineEntry, idempotency: IdempotencyRecord, quote_expires_at: int) -> None:
        """One transaction. Only when a stock reservation failed (short, or a hot SKU's shard ran
        dry or collided with another order) are the pools read and the transaction tried again
        where units are, at most PLACE_ATTEMPTS times; 409 only when a SKU's pools together are short."""
        lines = _lines(order)
        self._stock.warm()
        holds = self._stock.plan(lines)
        for _ in range(PLACE_ATTEMPTS):
            items = self.place_items(order, first, idempotency, quote_expires_at, holds)
            try:
                client("dynamodb").transact_write_items(TransactItems=items)
                return
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                _unless_throttled(error)
                reasons = [str(r.get("Code")) for r in error.response.get("CancellationReasons") or []]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    raise IdempotencyRecordExists() from error
                if reasons[3:4] == ["ConditionalCheckFailed"]:
                    raise QuoteAlreadyUsed(
                        "This quote has already placed an order.", quote_id=order.quote_id
                    ) from error
                failed = {holds[i - 4].sku for i, code in enumerate(reasons) if i >= 4 and code in STOCK_RETRIED}
                if not failed:
                    raise
                replanned, short = self._stock.replan(lines, holds, failed)  # the failure path's read
                if replanned is None:
                    raise InsufficientStock(
                        "Not enough stock for some items; nothing was reserved.",
                        items=[
                            {"sku": line.sku, "requested": line.quantity, "available": short[line.sku]}
                            for line in order.lines
                            if line.sku in short
                        ],
                    ) from error
                holds = replanned
        raise StockContended("Other orders kept taking the same units; nothing was reserved. Try again.")

    def idempotency(self, customer_id: str, key: str) -> IdempotencyRecord | None:
        item = self._get({"pk": f"IDEMPOTENCY#{customer_id}#{key}", "sk": "IDEMPOTENCY"})
        if item is None:
            return None
        return IdempotencyRecord(
            customer_id=customer_id, key=key, body_hash=item["body_hash"], order_id=item["order_id"]
        )

    # ---- reading ------------------------------------------------------------------------------------
    def get(self, order_id: str) -> Order | None:
        item = self._get({"pk": f"ORDER#{order_id}", "sk": "ORDER"})
        return Order.model_validate({k: v for k, v in item.items() if k in ORDER_FIELDS}) if item else None

    def timeline(self, order_id: str) -> list[TimelineEntry]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :event)",
            ExpressionAttributeValues=values(pk=f"ORDER#{order_id}", event="EVENT#"),
            ConsistentRead=True,
        )
        entries = [unmarshal(raw) for raw in response.get("Items", [])]
        return [TimelineEntry.model_validate({k: v for k, v in e.items() if k in TIMELINE_FIELDS}) for e in entries]

    def page(self, customer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_customer",
            "KeyConditionExpression": "customer_id = :c",
            "ExpressionAttributeValues": values(c=customer_id),
            "ScanIndexForward": False,  # newest first
            "Limit": limit,
        }
        if cursor:
            start = _decode_cursor(cursor)
            if start.get("customer_id") != {"S": customer_id}:
                raise InvalidCursor("This cursor does not belong to this listing.")
            request["ExclusiveStartKey"] = start
        response = client("dynamodb").query(**request)
        orders = [
            Order.model_validate({k: v for k, v in unmarshal(raw).items() if k in ORDER_FIELDS})
            for raw in response.get("Items", [])
        ]
        last = response.get("LastEvaluatedKey")
        return orders, _encode_cursor(last) if last else None

    # ---- transitions ----------------------------------------------------------------------------------
    def move(
        self,
        order: Order,
        to: OrderStatus,
        entry: TimelineEntry,
        release: bool,
        now: str,
        task_token: str | None = None,
        leave_holds: bool = False,
    ) -> None:
        self.write(
            OrderWrite(order, to=to, entry=entry, task_token=task_token, release=release, leave_holds=leave_holds)
        )

    def write(self, change: OrderWrite) -> None:
        order = change.order
        items: list[dict[str, Any]] = []
        if change.entry is not None:
            items += [self._order_update(change), self._entry_put(order.order_id, change.entry)]
        if change.release:
            items += self._stock.release_items(_lines(order), order.stock_holds)
        if change.deduct_from is not None:
            items += self._stock.deduct_items(_lines(order), change.deduct_from, order.stock_holds)
        if change.shipment is not None:
            items.append(self._shipment_put(change.shipment))
        if change.claim is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(
                            {"pk": f"WEBHOOK#{change.claim}", "sk": "WEBHOOK", "expires_at": _claim_expiry()}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            _unless_throttled(error)  # throttled: nobody moved the order, re-reading would not help
            if change.claim is not None and self._get({"pk": f"WEBHOOK#{change.claim}", "sk": "WEBHOOK"}):
                raise DuplicateEvent(f"Event {change.claim} was applied before.") from error
            raise OrderStateConflict(f"Order {order.order_id} changed meanwhile; not changed.") from error

    def _order_update(self, change: OrderWrite) -> dict[str, Any]:
        order, entry = change.order, change.entry
        assert entry is not None
        to = change.to or order.status
        update = "SET #s = :to, updated_at = :now, timeline_seq = :seq, status_key = :status_key"
        extra: dict[str, Any] = {"status_key": staff_keys.status_key(order.order_id, to)}
        names = {"#s": "status"}
        removed: list[str] = []
        attention = change.attention if change.attention is not None else order.attention
        if staff_keys.is_flagged(to, attention):  # the sparse ``flagged`` index: waiting for staff
            update += ", flag_key = :flag_key"
            extra["flag_key"] = staff_keys.flag_key(order.order_id)
        else:
            removed.append("flag_key")
        for i, (name, value) in enumerate((change.changes or {}).items()):
            names[f"#c{i}"] = name
            if value is None:
                removed.append(f"#c{i}")
            else:
                update += f", #c{i} = :c{i}"
                extra[f"c{i}"] = value
        if change.task_token is not None:
            update += ", task_token = :token"
            extra["token"] = change.task_token
        elif not change.keep_token:
            removed.append("task_token")
        if change.attention is not None:
            update += ", attention = :attention"
            extra["attention"] = change.attention
        if change.release or change.deduct_from is not None:
            removed += ["hold_shard", "reserved_until"]
        elif change.leave_holds:
            removed += ["hold_shard"]  # out of the holds index; reserved_until stays as a record
        if removed:
            update += " REMOVE " + ", ".join(removed)
        # the token read must still be the one stored: a move never drops a token it has not seen
        # (a wait storing its token as a cancel moves the order makes the cancel re-read)
        condition = "#s = :from AND timeline_seq = :prev AND "
        if order.task_token is None:
            condition += "attribute_not_exists(task_token)"
        else:
            condition += "task_token = :seen"
            extra["seen"] = order.task_token
        return {
            "Update": {
                "TableName": self._table,
                "Key": marshal({"pk": f"ORDER#{order.order_id}", "sk": "ORDER"}),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values(
                    to=str(to),
                    now=entry.at,
                    seq=entry.seq,
                    prev=order.timeline_seq,
                    **{"from": str(order.status)},
                    **extra,
                ),
            }
        }

    def _entry_put(self, order_id: str, entry: TimelineEntry) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal(self._entry(order_id, entry)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _shipment_put(self, shipment: Shipment) -> dict[str, Any]:
        item = {"pk": f"ORDER#{shipment.order_id}", "sk": "SHIPMENT"} | shipment.model_dump(mode="json")
        item["version"] = shipment.version + 1
        put: dict[str, Any] = {"TableName": self._table, "Item": marshal(item)}
        if shipment.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = values(v=shipment.version)
        return {"Put": put}

    def shipment(self, order_id: str) -> Shipment | None:
        item = self._get({"pk": f"ORDER#{order_id}", "sk": "SHIPMENT"})
        return Shipment.model_validate({k: v for k, v in item.items() if k in SHIPMENT_FIELDS}) if item else None

    def store_task_token(self, order: Order, task_token: str) -> None:
        try:
            client("dynamodb").update_item(
                TableName=self._table,
                Key=marshal({"pk": f"ORDER#{order.order_id}", "sk": "ORDER"}),
                UpdateExpression="SET task_token = :token",
                ConditionExpression="#s = :status AND timeline_seq = :seq",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(token=task_token, status=str(order.status), seq=order.timeline_seq),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise OrderStateConflict(f"Order {order.order_id} changed meanwhile; token not stored.") from error
            raise

    def orders_since(self, customer_id: str, since: str) -> int:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_customer",
            "KeyConditionExpression": "customer_id = :c AND created_at >= :since",
            "ExpressionAttributeValues": values(c=customer_id, since=since),
            "Select": "COUNT",
        }
        count = 0
        while True:
            response = client("dynamodb").query(**request)
            count += int(response.get("Count", 0))
            if not response.get("LastEvaluatedKey"):
                return count
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ---- the reservation sweeper (docs/orders.md section 5) ---------------------------------------------
    def holds_due(self, shard: str, now: int, cursor: dict[str, Any] | None = None) -> tuple[list[str], Any]:
        """One page of the orders in hold shard ``shard`` (``HOLD#<n>``) whose ``reserved_until`` is
        before ``now``, oldest first: (order ids, the cursor of the next page or None). The index is
        eventually consistent: the sweeper re-reads each order before acting."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "holds",
            "KeyConditionExpression": "hold_shard = :shard AND reserved_until < :now",
            "ExpressionAttributeValues": values(shard=shard, now=now),
        }
        if cursor:
            request["ExclusiveStartKey"] = cursor
        response = client("dynamodb").query(**request)
        ids = [unmarshal(raw)["order_id"] for raw in response.get("Items", []) if "order_id" in raw]
        return ids, response.get("LastEvaluatedKey")

    # ---- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _entry(order_id: str, entry: TimelineEntry) -> dict[str, Any]:
        return {"pk": f"ORDER#{order_id}", "sk": f"EVENT#{entry.seq:04d}", **entry.model_dump(mode="json")}

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = client("dynamodb").get_item(TableName=self._table, Key=marshal(key), ConsistentRead=True).get("Item")
        return unmarshal(item) if item else None


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as error:
        raise InvalidCursor("The cursor is not valid.") from error
    if not isinstance(data, dict):
        raise InvalidCursor("The cursor is not valid.")
    return data
