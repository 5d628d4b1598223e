"""The orders table as the back office uses it (docs/back-office.md, "Orders: the staff screens").

Besides what ``DynamoOrderRepository`` keeps, the order's partition ``ORDER#<id>`` holds the
staff's own records, none of which carries an index key (so no index sees them, and the outbox
ignores them: their sort keys do not begin with ``EVENT#``):

- ``NOTE#<at>#<note id>``: an internal note;
- ``RESEND#<at>#<event id>``: an email sent again;
- ``REFUND#<nnnn>``: a staff refund (number, amount, reason, who, state) and
  ``REFUNDKEY#<Idempotency-Key>``: the refund number a key reserved (both written in one
  conditional transaction, so a key takes one number and a number goes to one key).

The listing reads the indexes ``by_created``, ``by_status``, ``by_email``, ``by_customer`` and
``flagged`` (keys: ``commerce/orders/admin.py``), all sorted by ``created_at``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.adapters.orders_dynamo import ORDER_FIELDS, SHIPMENT_FIELDS, TIMELINE_FIELDS, DynamoOrderRepository
from commerce.backoffice_orders.errors import RefundKeyUsed, RefundNumberTaken
from commerce.backoffice_orders.listing import INDEX_KEYS, Batch, Conditions, Stream, Window
from commerce.backoffice_orders.models import Note, OrderPartition, RefundRecord, ResendRecord
from commerce.fulfilment.models import Shipment
from commerce.orders.admin import SHARDS
from commerce.orders.models import Order, TimelineEntry
from commerce.orders.ports import OrderWrite


class DynamoStaffOrders:
    def __init__(self, table: str, orders: DynamoOrderRepository) -> None:
        self._table = table
        self._orders = orders

    # ---- the order (the orders context's own repository) ----------------------------------------------
    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def shipment(self, order_id: str) -> Shipment | None:
        return self._orders.shipment(order_id)

    def write(self, change: OrderWrite) -> None:
        self._orders.write(change)

    def item(self, order_id: str) -> dict[str, Any] | None:
        raw = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=_key(order_id, "ORDER"), ConsistentRead=True)
            .get("Item")
        )
        return unmarshal(raw) if raw else None

    def partition(self, order_id: str) -> OrderPartition | None:
        items = self._query(
            {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": values(pk=_pk(order_id))}
        )
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_kind.setdefault(str(item["sk"]).split("#")[0], []).append(item)
        if not by_kind.get("ORDER"):
            return None
        shipments = by_kind.get("SHIPMENT") or []
        return OrderPartition(
            order=Order.model_validate(_only(by_kind["ORDER"][0], ORDER_FIELDS)),
            timeline=[TimelineEntry.model_validate(_only(e, TIMELINE_FIELDS)) for e in by_kind.get("EVENT", [])],
            shipment=Shipment.model_validate(_only(shipments[0], SHIPMENT_FIELDS)) if shipments else None,
            notes=[Note.model_validate(n) for n in by_kind.get("NOTE", [])],
            resends=[ResendRecord.model_validate(r) for r in by_kind.get("RESEND", [])],
            refunds=[_refund(r) for r in by_kind.get("REFUND", [])],
        )

    # ---- staff records -----------------------------------------------------------------------------------
    def add_note(self, order_id: str, note: Note) -> None:
        self._put_new(order_id, f"NOTE#{note.at}#{note.note_id}", note.model_dump(mode="json"))

    def add_resend(self, order_id: str, resend: ResendRecord) -> None:
        self._put_new(order_id, f"RESEND#{resend.at}#{resend.event_id}", resend.model_dump(mode="json"))

    # ---- the refund ledger ---------------------------------------------------------------------------------
    def refunds(self, order_id: str) -> list[RefundRecord]:
        items = self._query(
            {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :refund)",
                "ExpressionAttributeValues": values(pk=_pk(order_id), refund="REFUND#"),
            }
        )
        return [_refund(item) for item in items]

    def by_key(self, order_id: str, key: str) -> RefundRecord | None:
        ddb = client("dynamodb")
        found = ddb.get_item(TableName=self._table, Key=_key(order_id, f"REFUNDKEY#{key}"), ConsistentRead=True)
        if "Item" not in found:
            return None
        number = int(unmarshal(found["Item"])["refund_number"])
        record = ddb.get_item(TableName=self._table, Key=_key(order_id, _refund_sk(number)), ConsistentRead=True)
        return _refund(unmarshal(record["Item"])) if "Item" in record else None

    def reserve(self, order_id: str, record: RefundRecord) -> None:
        key_item = {
            "pk": _pk(order_id),
            "sk": f"REFUNDKEY#{record.idempotency_key}",
            "refund_number": record.refund_number,
        }
        refund_item = {"pk": _pk(order_id), "sk": _refund_sk(record.refund_number)} | record.model_dump(mode="json")
        refund_item["body_hash"] = record.body_hash  # excluded from the model's dump (never shown)
        new = "attribute_not_exists(pk)"
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": marshal(key_item), "ConditionExpression": new}},
                    {"Put": {"TableName": self._table, "Item": marshal(refund_item), "ConditionExpression": new}},
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise RefundKeyUsed(record.idempotency_key) from error
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise RefundNumberTaken(str(record.refund_number)) from error
            raise

    def settle(self, order_id: str, number: int, state: str, decline_code: str | None) -> None:
        client("dynamodb").update_item(
            TableName=self._table,
            Key=_key(order_id, _refund_sk(number)),
            UpdateExpression="SET #state = :state, decline_code = :code",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values(state=state, code=decline_code),
        )

    # ---- the listing's indexes -----------------------------------------------------------------------------
    def query(self, stream: Stream, window: Window, conditions: Conditions, start: Any | None, limit: int) -> Batch:
        """One page of one index partition, newest first, the conditions as a FilterExpression
        (``Limit`` counts the items read, before the filter)."""
        names = {"#pk": INDEX_KEYS[stream.index], "#at": "created_at"}
        bound: dict[str, Any] = {"pk": stream.key}
        key = "#pk = :pk"
        if window.lower and window.upper:
            key += " AND #at BETWEEN :lo AND :hi"
            bound |= {"lo": window.lower, "hi": window.upper}
        elif window.lower:
            key += " AND #at >= :lo"
            bound["lo"] = window.lower
        elif window.upper:
            key += " AND #at <= :hi"
            bound["hi"] = window.upper
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": stream.index,
            "KeyConditionExpression": key,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        filters, filter_names, filter_values = _filter(conditions)
        if filters:
            request["FilterExpression"] = filters
        if "#at" not in key:
            del names["#at"]
        request["ExpressionAttributeNames"] = names | filter_names
        request["ExpressionAttributeValues"] = values(**bound, **filter_values)
        if start is not None:
            request["ExclusiveStartKey"] = start
        response = client("dynamodb").query(**request)
        rows = [unmarshal(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        reached = str(unmarshal(last).get("created_at", "")) if last else None
        return Batch([r for r in rows if "order_id" in r and "created_at" in r], last, reached)

    def flagged(self) -> dict[str, int]:
        """The orders waiting for staff (the sparse ``flagged`` index, small by nature), by why."""
        counts = {"in_review": 0, "fulfilment_exception": 0, "attention": 0}
        for n in range(SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "flagged",
                "KeyConditionExpression": "flag_key = :key",
                "ProjectionExpression": "#s",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values(key=f"FLAGGED#{n}"),
            }
            while True:
                response = client("dynamodb").query(**request)
                for raw in response.get("Items", []):
                    status = str(unmarshal(raw).get("status"))
                    counts[status if status in counts else "attention"] += 1
                if not response.get("LastEvaluatedKey"):
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return counts

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _query(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        request = {"TableName": self._table, "ConsistentRead": True} | request
        items: list[dict[str, Any]] = []
        while True:
            response = client("dynamodb").query(**request)
            items += [unmarshal(raw) for raw in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _put_new(self, order_id: str, sk: str, fields: dict[str, Any]) -> None:
        client("dynamodb").put_item(
            TableName=self._table,
            Item=marshal({"pk": _pk(order_id), "sk": sk} | fields),
            ConditionExpression="attribute_not_exists(pk)",
        )


def _filter(conditions: Conditions) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The FilterExpression of ``listing.matches``."""
    parts: list[str] = []
    names: dict[str, str] = {}
    bound: dict[str, Any] = {}
    if conditions.statuses is not None:
        statuses = sorted(conditions.statuses)
        parts.append(f"#s IN ({', '.join(f':s{i}' for i in range(len(statuses)))})")
        names["#s"] = "status"
        bound |= {f"s{i}": status for i, status in enumerate(statuses)}
    if conditions.customer_id is not None:
        parts.append("customer_id = :customer")
        bound["customer"] = conditions.customer_id
    if conditions.min_total is not None:
        parts.append("#total >= :min_total")
        bound["min_total"] = conditions.min_total
    if conditions.max_total is not None:
        parts.append("#total <= :max_total")
        bound["max_total"] = conditions.max_total
    if conditions.flagged is not None:
        parts.append("attribute_exists(flag_key)" if conditions.flagged else "attribute_not_exists(flag_key)")
    if conditions.refund is not None:
        bound["zero"] = 0
        parts.append(
            {
                "none": "attribute_not_exists(refunded) OR refunded <= :zero",
                "partial": "refunded > :zero AND refunded < #total",
                "full": "refunded > :zero AND refunded >= #total",
            }[conditions.refund]
        )
    if "#total" in " ".join(parts):
        names["#total"] = "total"
    return " AND ".join(f"({p})" for p in parts), names, bound


def _pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def _key(order_id: str, sk: str) -> dict[str, Any]:
    return marshal({"pk": _pk(order_id), "sk": sk})


def _refund_sk(number: int) -> str:
    return f"REFUND#{number:04d}"


def _only(item: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in fields}


def _refund(item: dict[str, Any]) -> RefundRecord:
    return RefundRecord.model_validate(_only(item, frozenset(RefundRecord.model_fields)))
