"""Carts and checkout quotes on DynamoDB (table ``carts``, TTL attribute ``expires_at``).

Layout:
- ``CART#<cart_id>`` / ``CART``: one item per cart with its lines (at most 50, so well under
  400 KB) and a ``version`` every write is conditional on (optimistic concurrency). A customer's
  cart carries ``customer_id`` (sparse GSI ``by_customer``); anonymous carts do not.
- ``QUOTE#<quote_id>`` / ``QUOTE``: a checkout quote with its server-computed amounts, kept until
  it expires so placing an order can trust them.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.carts.errors import VersionConflict
from commerce.carts.models import StoredCart
from commerce.checkout.models import StoredQuote
from commerce.common.errors import is_throttling


def _key(cart_id: str) -> dict[str, Any]:
    return marshal({"pk": f"CART#{cart_id}", "sk": "CART"})


def _item(cart: StoredCart) -> dict[str, Any]:
    data = cart.model_dump(mode="json", exclude_none=True)
    return marshal({"pk": f"CART#{cart.cart_id}", "sk": "CART", **data})


def _put(table: str, cart: StoredCart, expected_version: int) -> dict[str, Any]:
    request: dict[str, Any] = {"TableName": table, "Item": _item(cart)}
    if expected_version == 0:
        request["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        request["ConditionExpression"] = "version = :expected"
        request["ExpressionAttributeValues"] = values(expected=expected_version)
    return request


class DynamoCartRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def get(self, cart_id: str) -> StoredCart | None:
        item = client("dynamodb").get_item(TableName=self._table, Key=_key(cart_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        data = unmarshal(item)
        return StoredCart.model_validate({k: v for k, v in data.items() if k in StoredCart.model_fields})

    def save(self, cart: StoredCart, expected_version: int) -> None:
        try:
            client("dynamodb").put_item(**_put(self._table, cart, expected_version))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(cart.cart_id) from error
            raise

    def save_merge(self, target: StoredCart, target_version: int, source: StoredCart, source_version: int) -> None:
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {"Put": _put(self._table, target, target_version)},
                    {"Put": _put(self._table, source, source_version)},
                ]
            )
        except ClientError as error:
            if is_throttling(error):  # nothing written; the API answers 503, never a conflict
                raise
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise VersionConflict(target.cart_id) from error
            raise


class DynamoQuoteStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def save(self, quote: StoredQuote) -> None:
        data = quote.model_dump(mode="json", exclude_none=True)
        item = marshal({"pk": f"QUOTE#{quote.quote.quote_id}", "sk": "QUOTE", **data})
        client("dynamodb").put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, quote_id: str) -> StoredQuote | None:
        key = marshal({"pk": f"QUOTE#{quote_id}", "sk": "QUOTE"})
        item = client("dynamodb").get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        if not item:
            return None
        data = unmarshal(item)
        return StoredQuote.model_validate({k: v for k, v in data.items() if k in StoredQuote.model_fields})
