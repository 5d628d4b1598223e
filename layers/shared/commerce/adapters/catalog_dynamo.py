"""Catalogue repository on DynamoDB.

Layout (table ``catalog``):
- ``PRODUCT#<id>`` / ``PRODUCT``: the product with its variants (listing and search serve from the
  search context's snapshot, not from this table).
- ``SKU#<sku>`` / ``SKU``: which product owns a SKU, so a SKU is unique across the catalogue.
- ``REFERENCE`` / ``CATEGORY#<path>``, ``BRAND#<slug>``, ``MANUFACTURER#<slug>``,
  ``SUPPLIER#<slug>``, ``ATTRIBUTE#<code>``: reference data, one partition, one Query.
- ``COLLECTION#<slug>`` / ``COLLECTION``: a landing-page collection (ordered product ids).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.catalog.errors import SkuTaken
from commerce.catalog.models import Product, ProductInput
from commerce.catalog.reference import Collection, ReferenceData


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


REFERENCE_KINDS: dict[str, tuple[str, str]] = {
    # ReferenceData field -> (sort-key prefix, key attribute)
    "categories": ("CATEGORY#", "path"),
    "brands": ("BRAND#", "slug"),
    "manufacturers": ("MANUFACTURER#", "slug"),
    "suppliers": ("SUPPLIER#", "slug"),
    "attributes": ("ATTRIBUTE#", "code"),
}


class DynamoReferenceRepository:
    """Reference data in one partition (``REFERENCE`` / ``<KIND>#<key>``: a few thousand small items
    read with one paginated Query) and collections (``COLLECTION#<slug>`` / ``COLLECTION``)."""

    def __init__(self, table: str) -> None:
        self._table = table

    def load(self) -> ReferenceData:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": values(pk="REFERENCE"),
        }
        grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in REFERENCE_KINDS}
        prefixes = {prefix: kind for kind, (prefix, _) in REFERENCE_KINDS.items()}
        while True:
            page = client("dynamodb").query(**request)
            for raw in page.get("Items", []):
                item = unmarshal(raw)
                prefix = item["sk"].split("#", 1)[0] + "#"
                if prefix in prefixes:
                    grouped[prefixes[prefix]].append(item["data"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return ReferenceData.model_validate(grouped)

    def save(self, change: ReferenceData) -> None:
        writes: list[dict[str, Any]] = []
        for kind, (prefix, key) in REFERENCE_KINDS.items():
            for entry in getattr(change, kind):
                data = entry.model_dump(mode="json", exclude_none=True)
                item = {"pk": "REFERENCE", "sk": f"{prefix}{data[key]}", "data": data}
                writes.append({"PutRequest": {"Item": marshal(item)}})
        for start in range(0, len(writes), 25):
            pending: dict[str, Any] = {self._table: writes[start : start + 25]}
            while pending:
                pending = client("dynamodb").batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def get_collection(self, slug: str) -> Collection | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": f"COLLECTION#{slug}", "sk": "COLLECTION"}))
            .get("Item")
        )
        return Collection.model_validate(unmarshal(item)["data"]) if item else None

    def put_collection(self, collection: Collection) -> None:
        item = {
            "pk": f"COLLECTION#{collection.slug}",
            "sk": "COLLECTION",
            "data": collection.model_dump(mode="json", exclude_none=True),
        }
        client("dynamodb").put_item(TableName=self._table, Item=marshal(item))
