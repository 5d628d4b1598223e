"""Payment records in DynamoDB: ``PAYMENT#<order_id>``/``PAYMENT`` (the whole record, written
conditionally on its version), ``PAYMENT#<order_id>``/``REFUND#<nnnn>`` (each refund of it, written
with it: the finance screens' refund list) and ``WEBHOOK#<event_id>``/``EVENT`` (handled webhook ids,
TTL). The record and its refunds carry the keys of the ``by_created`` and ``by_status`` indexes
(``commerce.payments.listing``), read by ``DynamoPaymentIndex``."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.payments.admin import refund_item
from commerce.payments.errors import ConcurrentPaymentChange
from commerce.payments.listing import Kind, payment_keys, refund_keys, refunds_of
from commerce.payments.models import Payment

MAX_REFUND_ITEMS = 99  # a transaction holds 100 items: the record and its latest 99 refunds


class DynamoPaymentRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def get(self, order_id: str) -> Payment | None:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self._table,
                Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        if item is None:
            return None
        payment = Payment.model_validate_json(item["doc"]["S"])
        payment.version = int(item["version"]["N"])
        return payment

    def save(self, payment: Payment, expected_version: int) -> Payment:
        stored = payment.model_copy(update={"version": expected_version + 1})
        item: dict[str, Any] = {
            "pk": {"S": f"PAYMENT#{payment.order_id}"},
            "sk": {"S": "PAYMENT"},
            "doc": {"S": stored.model_dump_json(exclude={"version"})},
            "version": {"N": str(stored.version)},
            "order_id": {"S": payment.order_id},
            "status": {"S": str(payment.status)},
            **{name: {"S": value} for name, value in payment_keys(payment).items()},
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_version == 0
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": values(v=expected_version),
            }
        )
        refunds = refunds_of(payment)[-MAX_REFUND_ITEMS:]
        try:
            if not refunds:  # most payments: one conditional put, as ever
                client("dynamodb").put_item(TableName=self._table, Item=item, **condition)
            else:  # the record and its refunds' items together, so the refund list is never stale
                puts = [
                    {"Put": {"TableName": self._table, "Item": self._refund_item(payment, refund)}}
                    for refund in refunds
                ]
                client("dynamodb").transact_write_items(
                    TransactItems=[{"Put": {"TableName": self._table, "Item": item, **condition}}, *puts]
                )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if code == "ConditionalCheckFailedException" or (reasons and reasons[0] == "ConditionalCheckFailed"):
                raise ConcurrentPaymentChange(f"payment {payment.order_id} changed") from None
            raise
        return stored

    @staticmethod
    def _refund_item(payment: Payment, refund: Any) -> dict[str, Any]:
        return marshal(
            {
                "pk": f"PAYMENT#{payment.order_id}",
                "sk": f"REFUND#{refund.sequence:04d}",
                **{k: v for k, v in refund_item(payment, refund).items() if v is not None},
                **refund_keys(payment.order_id, refund),
            }
        )

    def claim_webhook(self, event_id: str, expires_at: int) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"WEBHOOK#{event_id}"},
                    "sk": {"S": "EVENT"},
                    "expires_at": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def release_webhook(self, event_id: str) -> None:
        client("dynamodb").delete_item(
            TableName=self._table, Key={"pk": {"S": f"WEBHOOK#{event_id}"}, "sk": {"S": "EVENT"}}
        )

    def raw(self, order_id: str) -> dict[str, Any]:
        """The stored document (tests prove no card data is in it)."""
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}})
            .get("Item")
        )
        return dict(json.loads(item["doc"]["S"])) if item else {}


class DynamoPaymentIndex:
    """The finance screens' reads (``commerce.payments.listing.PaymentIndex``): a Query of one
    partition of ``by_created``/``by_status``, or of one order's partition. Never a Scan."""

    def __init__(self, table: str) -> None:
        self._table = table

    def newest(self, index: str, partition: str, lower: str | None, upper: str, limit: int) -> list[dict[str, Any]]:
        key = "list_shard" if index == "by_created" else "status_key"
        sort = "list_sort BETWEEN :lower AND :upper" if lower is not None else "list_sort <= :upper"
        bounds = values(partition=partition, upper=upper, **({"lower": lower} if lower is not None else {}))
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while len(items) < limit:
            response = client("dynamodb").query(
                TableName=self._table,
                IndexName=index,
                KeyConditionExpression=f"{key} = :partition AND {sort}",
                ExpressionAttributeValues=bounds,
                ScanIndexForward=False,
                Limit=limit - len(items),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            items += [unmarshal(raw) for raw in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return items

    def of_order(self, kind: Kind, order_id: str) -> list[dict[str, Any]]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues=values(pk=f"PAYMENT#{order_id}", sk=kind),
        )
        return [unmarshal(raw) for raw in response.get("Items", []) if "list_sort" in raw]
