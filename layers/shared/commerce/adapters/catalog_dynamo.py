"""Catalogue repository on DynamoDB.

Layout (table ``catalog``):
- ``PRODUCT#<id>`` / ``PRODUCT``: the product with its variants (listing and search serve from the
  search context's snapshot, not from this table).
- ``SKU#<sku>`` / ``SKU``: which product owns a SKU, so a SKU is unique across the catalogue.
- ``REFERENCE`` / ``CATEGORY#<path>``, ``BRAND#<slug>``, ``MANUFACTURER#<slug>``,
  ``SUPPLIER#<slug>``, ``ATTRIBUTE#<code>``: reference data, one partition, one Query.
- ``COLLECTION#<slug>`` / ``COLLECTION``: a landing-page collection (ordered product ids).
- ``IMPORT#<id>`` / ``IMPORT``: a CSV import's record (its report and executions).

Products and SKU claims carry ``kind`` (``PRODUCT``/``SKU``) and ``kind_key`` (the id): the sparse
GSI ``by_kind`` lists them in key order for the back office. A retired SKU keeps its claim
(``status = retired``, with its last ``variant``), so it is never reused; its product lists it in
``retired_variants``. Reference entries carry ``version``, ``updated_at`` and, once retired,
``status = retired`` and ``retired_at``; ``load`` leaves retired ones out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.adapters.dynamo_pages import batch_get, cursor_start, query_all, query_page
from commerce.catalog.admin_models import EntryState, SkuClaim, StoredEntry
from commerce.catalog.errors import (
    AlreadyRetired,
    EntryExists,
    EntryNotFound,
    InvalidCursor,
    ProductExists,
    ProductNotFound,
    SkuTaken,
    VersionMismatch,
)
from commerce.catalog.models import Product, ProductInput
from commerce.catalog.reference import Collection, ReferenceData
from commerce.common.clock import iso

BY_KIND = "by_kind"
CURSOR_FIELDS = frozenset({"pk", "sk", "kind", "kind_key"})


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
        return self._save(product, now, None, None)

    def save_checked(
        self,
        product: ProductInput,
        now: str,
        expected_version: int | None,
        retired_variants: list[dict[str, Any]] | None = None,
    ) -> Product:
        return self._save(product, now, expected_version, retired_variants)

    def _save(
        self,
        product: ProductInput,
        now: str,
        expected_version: int | None,
        retired_variants: list[dict[str, Any]] | None,
    ) -> Product:
        data = product.model_dump(mode="json")
        data["price_from"] = min(v.price for v in product.variants)
        fields = {k: v for k, v in data.items() if k != "product_id"}
        if retired_variants is not None:
            fields["retired_variants"] = retired_variants
        names = {f"#{k}": k for k in fields} | {"#kind": "kind"}
        sets = [f"#{k} = :{k}" for k in fields]
        sets += [
            "created_at = if_not_exists(created_at, :now)",
            "updated_at = :now",
            "product_id = :product_id",
            "version = if_not_exists(version, :zero) + :one",
            "#kind = :kind",
            "kind_key = :product_id",
        ]
        change: dict[str, Any] = {
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
                kind="PRODUCT",
            ),
        }
        if expected_version == 0:
            change["ConditionExpression"] = "attribute_not_exists(pk)"
        elif expected_version is not None:
            change["ConditionExpression"] = "version = :expected"
            change["ExpressionAttributeValues"] |= values(expected=expected_version)
        claims = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {
                            "pk": f"SKU#{v.sku}",
                            "sk": "SKU",
                            "sku": v.sku,
                            "product_id": product.product_id,
                            "kind": "SKU",
                            "kind_key": v.sku,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR product_id = :product_id",
                    "ExpressionAttributeValues": values(product_id=product.product_id),
                }
            }
            for v in product.variants
        ]
        listed = {v.sku for v in product.variants}
        retirements = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal({"pk": f"SKU#{v['sku']}", "sk": "SKU"}),
                    "UpdateExpression": "SET #status = :retired, retired_at = if_not_exists(retired_at, :now), "
                    "#variant = :variant",
                    "ConditionExpression": "product_id = :product_id",
                    "ExpressionAttributeNames": {"#status": "status", "#variant": "variant"},
                    "ExpressionAttributeValues": values(
                        retired="retired", now=now, variant=v, product_id=product.product_id
                    ),
                }
            }
            for v in retired_variants or []
            if v["sku"] not in listed
        ]
        try:
            client("dynamodb").transact_write_items(TransactItems=[{"Update": change}, *claims, *retirements])
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                self._refuse(product.product_id, expected_version, error)
            taken = [
                product.variants[i - 1].sku
                for i, r in enumerate(reasons)
                if 0 < i <= len(claims) and r.get("Code") == "ConditionalCheckFailed"
            ]
            if taken:
                raise SkuTaken(f"SKU {', '.join(taken)} already belongs to another product.", skus=taken) from error
            raise
        stored = self.get(product.product_id)
        assert stored is not None
        return stored

    def _refuse(self, product_id: str, expected_version: int | None, error: Exception) -> None:
        current = self.get(product_id)
        if expected_version == 0:
            raise ProductExists(f"There is already a product '{product_id}'.", product_id=product_id) from error
        if current is None:
            raise ProductNotFound(f"There is no product '{product_id}'.", product_id=product_id) from error
        raise VersionMismatch(
            f"The product was changed since version {expected_version}; it is now version {current.version}.",
            current_version=current.version,
            product_id=product_id,
        ) from error

    def retired_variants(self, product_id: str) -> list[dict[str, Any]]:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self._table,
                Key=marshal({"pk": f"PRODUCT#{product_id}", "sk": "PRODUCT"}),
                ProjectionExpression="retired_variants",
            )
            .get("Item")
        )
        return list(unmarshal(item).get("retired_variants") or []) if item else []

    def get_many(self, product_ids: list[str]) -> dict[str, Product]:
        keys = [{"pk": f"PRODUCT#{pid}", "sk": "PRODUCT"} for pid in sorted(set(product_ids))]
        return {item["product_id"]: _product(item) for item in batch_get(self._table, keys)}

    def claims(self, skus: list[str]) -> dict[str, SkuClaim]:
        keys = [{"pk": f"SKU#{sku}", "sk": "SKU"} for sku in sorted(set(skus))]
        return {item["sku"]: _claim(item) for item in batch_get(self._table, keys)}

    def _kind_page(
        self, kind: str, prefix: str | None, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        condition = "#kind = :kind" + (" AND begins_with(kind_key, :prefix)" if prefix else "")
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_KIND,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#kind": "kind"},
            "ExpressionAttributeValues": values(kind=kind, **({"prefix": prefix} if prefix else {})),
        }
        if status:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"]["#status"] = "status"
            request["ExpressionAttributeValues"] |= values(status=status)
        start = cursor_start(cursor, CURSOR_FIELDS, lambda key: key["kind"] == kind, _bad_cursor)
        return query_page(request, limit, start)

    def product_page(
        self, prefix: str | None, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Product], str | None]:
        items, next_cursor = self._kind_page("PRODUCT", prefix, status, limit, cursor)
        return [_product(item) for item in items], next_cursor

    def claim_page(self, prefix: str | None, limit: int, cursor: str | None) -> tuple[list[SkuClaim], str | None]:
        items, next_cursor = self._kind_page("SKU", prefix, None, limit, cursor)
        return [_claim(item) for item in items], next_cursor

    def active_products(self) -> Iterator[Product]:
        request = {
            "TableName": self._table,
            "IndexName": BY_KIND,
            "KeyConditionExpression": "#kind = :kind",
            "FilterExpression": "#status = :active",
            "ExpressionAttributeNames": {"#kind": "kind", "#status": "status"},
            "ExpressionAttributeValues": values(kind="PRODUCT", active="active"),
        }
        return (_product(item) for item in query_all(request))

    # ---- CSV import records --------------------------------------------------------------------------
    def get_import(self, import_id: str) -> dict[str, Any] | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": f"IMPORT#{import_id}", "sk": "IMPORT"}))
            .get("Item")
        )
        return dict(unmarshal(item)["data"]) if item else None

    def put_import(self, record: dict[str, Any]) -> bool:
        item = {"pk": f"IMPORT#{record['import_id']}", "sk": "IMPORT", "data": record}
        try:
            client("dynamodb").put_item(
                TableName=self._table, Item=marshal(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _bad_cursor() -> InvalidCursor:
    return InvalidCursor("The cursor is not one this listing gave out.")


def _claim(item: dict[str, Any]) -> SkuClaim:
    return SkuClaim(
        sku=item["sku"],
        product_id=item["product_id"],
        status=item.get("status", "active"),
        variant=item.get("variant"),
        retired_at=item.get("retired_at"),
    )


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
        """The active entries (what the storefront shows and new products may use)."""
        grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in REFERENCE_KINDS}
        for entry in self._all():
            if entry.state.status == "active":
                grouped[entry.kind].append(entry.data)
        return ReferenceData.model_validate(grouped)

    def save(self, change: ReferenceData) -> None:
        """Upsert every entry of ``change``: a new version of each (a retired one is restored), in
        transactions of up to 100 entries."""
        now = iso()
        writes: list[dict[str, Any]] = []
        for kind, (prefix, key) in REFERENCE_KINDS.items():
            for entry in getattr(change, kind):
                data = entry.model_dump(mode="json", exclude_none=True)
                writes.append(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": marshal({"pk": "REFERENCE", "sk": f"{prefix}{data[key]}"}),
                            "UpdateExpression": "SET #data = :data, updated_at = :now, "
                            "version = if_not_exists(version, :zero) + :one REMOVE #status, retired_at",
                            "ExpressionAttributeNames": {"#data": "data", "#status": "status"},
                            "ExpressionAttributeValues": values(data=data, now=now, zero=0, one=1),
                        }
                    }
                )
        for start in range(0, len(writes), 100):
            client("dynamodb").transact_write_items(TransactItems=writes[start : start + 100])

    # ---- one entry at a time (the back office) --------------------------------------------------------
    def _all(self, kind: str | None = None) -> Iterator[StoredEntry]:
        condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if kind else "")
        prefix = {"prefix": REFERENCE_KINDS[kind][0]} if kind else {}
        request = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values(pk="REFERENCE", **prefix),
        }
        prefixes = {prefix: kind for kind, (prefix, _) in REFERENCE_KINDS.items()}
        for item in query_all(request):
            found = prefixes.get(item["sk"].split("#", 1)[0] + "#")
            if found is not None:
                yield _entry(found, item)

    def entries(self, kind: str) -> list[StoredEntry]:
        return list(self._all(kind))

    def entry(self, kind: str, key: str) -> StoredEntry | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": "REFERENCE", "sk": REFERENCE_KINDS[kind][0] + key}))
            .get("Item")
        )
        return _entry(kind, unmarshal(item)) if item else None

    def create_entry(self, kind: str, key: str, data: dict[str, Any], now: str) -> StoredEntry:
        item = {"pk": "REFERENCE", "sk": REFERENCE_KINDS[kind][0] + key, "data": data, "version": 1, "updated_at": now}
        try:
            client("dynamodb").put_item(
                TableName=self._table, Item=marshal(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self.entry(kind, key)
            status = existing.state.status if existing else "active"
            raise EntryExists(
                f"There is already a {kind} entry '{key}' ({status}); keys are never reused.",
                kind=kind,
                key=key,
                entry_status=status,
            ) from error
        return _entry(kind, item)

    def update_entry(
        self, kind: str, key: str, data: dict[str, Any], now: str, expected_version: int | None
    ) -> StoredEntry:
        return self._update(
            kind, key, expected_version, "SET #data = :data, updated_at = :now", values(data=data, now=now)
        )

    def retire_entry(self, kind: str, key: str, now: str, expected_version: int | None) -> StoredEntry:
        return self._update(
            kind,
            key,
            expected_version,
            "SET #status = :retired, retired_at = :now, updated_at = :now",
            values(retired="retired", now=now),
            "(attribute_not_exists(#status) OR #status <> :retired)",
        )

    def _update(
        self,
        kind: str,
        key: str,
        expected_version: int | None,
        update: str,
        update_values: dict[str, Any],
        condition: str | None = None,
    ) -> StoredEntry:
        conditions = ["attribute_exists(pk)", *([condition] if condition else [])]
        if expected_version is not None:  # entries written before versions existed count as version 1
            missing = "attribute_not_exists(version) OR " if expected_version == 1 else ""
            conditions.append(f"({missing}version = :expected)")
            update_values = update_values | values(expected=expected_version)
        expression = " ".join([update, *conditions])
        names = {name: name[1:] for name in ("#data", "#status") if name in expression}
        try:
            response = client("dynamodb").update_item(
                TableName=self._table,
                Key=marshal({"pk": "REFERENCE", "sk": REFERENCE_KINDS[kind][0] + key}),
                UpdateExpression=update + ", version = if_not_exists(version, :zero) + :one",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=update_values | values(zero=0, one=1),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = self.entry(kind, key)
            if current is None:
                raise EntryNotFound(f"There is no {kind} entry '{key}'.", kind=kind, key=key) from error
            if condition and current.state.status == "retired":
                raise AlreadyRetired(f"The {kind} entry '{key}' is already retired.", kind=kind, key=key) from error
            raise VersionMismatch(
                f"This was changed since version {expected_version}; it is now version {current.state.version}.",
                current_version=current.state.version,
                key=key,
            ) from error
        return _entry(kind, unmarshal(response["Attributes"]))

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


def _entry(kind: str, item: dict[str, Any]) -> StoredEntry:
    state = EntryState(
        status=item.get("status", "active"),
        version=int(item.get("version", 1)),
        updated_at=item.get("updated_at"),
        retired_at=item.get("retired_at"),
    )
    return StoredEntry(kind=kind, key=item["sk"].split("#", 1)[1], data=item["data"], state=state)
