"""Catalogue repository on DynamoDB.

Layout (table ``catalog``):
- ``PRODUCT#<id>`` / ``PRODUCT``: the product with its variants; gsi1 (``PRODUCTS#<status>``,
  ``<created_at>#<id>``) lists products newest first per status.
- ``SKU#<sku>`` / ``SKU``: which product owns a SKU, so a SKU is unique across the catalogue.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.catalog.errors import SkuTaken
from commerce.catalog.models import Product, ProductInput, ProductSummary

SUMMARY_FIELDS = ("product_id", "name", "brand", "category", "currency", "price_from", "images")


class DynamoProductRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def get(self, product_id: str) -> Product | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": f"PRODUCT#{product_id}", "sk": "PRODUCT"}))
            .get("Item")
        )
        return _product(unmarshal(item)) if item else None

    def list_active(
        self, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[ProductSummary], dict[str, Any] | None]:
        if after is not None and after.get("gsi1pk") != "PRODUCTS#active":
            after = None
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :status",
            "ExpressionAttributeValues": values(status="PRODUCTS#active"),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = marshal(after)
        page = client("dynamodb").query(**request)
        items = [_summary(unmarshal(i)) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return items, unmarshal(last) if last else None

    def save(self, product: ProductInput, now: str) -> Product:
        data = product.model_dump(mode="json")
        data["price_from"] = min(v.price for v in product.variants)
        fields = {k: v for k, v in data.items() if k != "product_id"}
        names = {f"#{k}": k for k in fields}
        sets = [f"#{k} = :{k}" for k in fields]
        sets += [
            "created_at = if_not_exists(created_at, :now)",
            "updated_at = :now",
            "product_id = :product_id",
            "gsi1pk = :gsi1pk",
            "gsi1sk = if_not_exists(created_at, :now)",
            "version = if_not_exists(version, :zero) + :one",
        ]
        update = {
            "Update": {
                "TableName": self._table,
                "Key": marshal({"pk": f"PRODUCT#{product.product_id}", "sk": "PRODUCT"}),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values(
                    **fields,
                    now=now,
                    product_id=product.product_id,
                    gsi1pk=f"PRODUCTS#{product.status}",
                    zero=0,
                    one=1,
                ),
            }
        }
        claims = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {"pk": f"SKU#{v.sku}", "sk": "SKU", "sku": v.sku, "product_id": product.product_id}
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR product_id = :product_id",
                    "ExpressionAttributeValues": values(product_id=product.product_id),
                }
            }
            for v in product.variants
        ]
        try:
            client("dynamodb").transact_write_items(TransactItems=[update, *claims])
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            taken = [
                product.variants[i - 1].sku
                for i, r in enumerate(reasons)
                if i > 0 and r.get("Code") == "ConditionalCheckFailed"
            ]
            if taken:
                raise SkuTaken(f"SKU {', '.join(taken)} already belongs to another product.", skus=taken) from error
            raise
        stored = self.get(product.product_id)
        assert stored is not None
        return stored


def _product(item: dict[str, Any]) -> Product:
    return Product.model_validate({k: v for k, v in item.items() if k in Product.model_fields})


def _summary(item: dict[str, Any]) -> ProductSummary:
    data = {k: item.get(k) for k in SUMMARY_FIELDS}
    images = data.pop("images") or []
    return ProductSummary.model_validate({**data, "image": images[0] if images else None})
