"""Payment records in DynamoDB: ``PAYMENT#<order_id>``/``PAYMENT`` (the whole record, written
conditionally on its version) and ``WEBHOOK#<event_id>``/``EVENT`` (handled webhook ids, TTL)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import values
from commerce.payments.errors import ConcurrentPaymentChange
from commerce.payments.models import Payment


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
        try:
            client("dynamodb").put_item(TableName=self._table, Item=item, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrentPaymentChange(f"payment {payment.order_id} changed") from None
            raise
        return stored

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
