"""Search on DynamoDB (table ``search``).

Layout:
- ``DOCS#<shard>`` / ``DOC#<id>``: one search document per active product; ``DOCS#<shard>`` /
  ``SALES#<id>``: units sold (best-seller ranking). 16 shards (by CRC32 of the id), so the
  publisher reads every document with 16 Queries instead of a Scan that would also read the
  snapshot parts living in the same table.
- ``SNAPSHOT`` / ``DIRTY``: ``changes``, a counter every document write increments.
- ``SNAPSHOT`` / ``CURRENT``: the pointer to the generation readers serve (conditional flip).
- ``SNAPSHOTS`` / ``GEN#<generation>``: a generation's manifest (for garbage collection).
- ``SNAPSHOT#<generation>`` / ``PART#0000``...: the gzip-compressed snapshot, in parts < 350 KB.
- ``SEARCHLOG#<yyyy-mm-dd>#<shard>`` / ``<timestamp>#<id>``: every search term, with
  ``expires_at`` 90 days on (TTL).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.search.documents import SearchDocument
from commerce.search.models import SearchLogEntry, SnapshotPointer

DOC_SHARDS = 16
LOG_SHARDS = 8
BATCH_WRITE = 25
BATCH_GET = 100
LOG_DAYS = 90


def _shard(product_id: str) -> str:
    return f"DOCS#{zlib.crc32(product_id.encode()) % DOC_SHARDS:02d}"


class _Table:
    def __init__(self, table: str) -> None:
        self._table = table

    def _write(self, writes: list[dict[str, Any]]) -> None:
        for start in range(0, len(writes), BATCH_WRITE):
            pending: dict[str, Any] = {self._table: writes[start : start + BATCH_WRITE]}
            while pending:
                pending = client("dynamodb").batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _query(self, pk: str, **extra: Any) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": values(pk=pk),
            **extra,
        }
        items: list[dict[str, Any]] = []
        while True:
            page = client("dynamodb").query(**request)
            items += [unmarshal(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class DynamoDocumentStore(_Table):
    def put(self, document: SearchDocument) -> None:
        item = {"pk": _shard(document.product_id), "sk": f"DOC#{document.product_id}", **document.model_dump()}
        client("dynamodb").put_item(TableName=self._table, Item=marshal(item))
        self._changed()

    def delete(self, product_id: str) -> None:
        client("dynamodb").delete_item(
            TableName=self._table, Key=marshal({"pk": _shard(product_id), "sk": f"DOC#{product_id}"})
        )
        self._changed()

    def _changed(self) -> None:
        client("dynamodb").update_item(
            TableName=self._table,
            Key=marshal({"pk": "SNAPSHOT", "sk": "DIRTY"}),
            UpdateExpression="ADD changes :one SET changed_at = :now",
            ExpressionAttributeValues=values(one=1, now=datetime.now(UTC).isoformat()),
        )

    def changes(self) -> int:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": "SNAPSHOT", "sk": "DIRTY"}), ConsistentRead=True)
            .get("Item")
        )
        return int(unmarshal(item)["changes"]) if item else 0

    def all(self) -> list[dict[str, Any]]:
        docs: dict[str, dict[str, Any]] = {}
        sales: dict[str, int] = {}
        fields = set(SearchDocument.model_fields)
        for shard in range(DOC_SHARDS):
            for item in self._query(f"DOCS#{shard:02d}"):
                if item["sk"].startswith("DOC#"):
                    docs[item["product_id"]] = {k: v for k, v in item.items() if k in fields}
                elif item["sk"].startswith("SALES#"):
                    sales[item["sk"].removeprefix("SALES#")] = int(item.get("units", 0))
        for product_id, doc in docs.items():
            doc["sales_count"] = sales.get(product_id, 0)
        return list(docs.values())

    def add_sales(self, product_id: str, quantity: int) -> None:
        client("dynamodb").update_item(
            TableName=self._table,
            Key=marshal({"pk": _shard(product_id), "sk": f"SALES#{product_id}"}),
            UpdateExpression="ADD units :q",
            ExpressionAttributeValues=values(q=quantity),
        )
        self._changed()


class DynamoSnapshotStore(_Table):
    def pointer(self) -> SnapshotPointer | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=marshal({"pk": "SNAPSHOT", "sk": "CURRENT"}))
            .get("Item")
        )
        if not item:
            return None
        data = unmarshal(item)
        return SnapshotPointer.model_validate({k: data[k] for k in SnapshotPointer.model_fields})

    def write_parts(self, pointer: SnapshotPointer, parts: list[bytes]) -> None:
        writes = [
            {
                "PutRequest": {
                    "Item": marshal({"pk": f"SNAPSHOT#{pointer.generation}", "sk": f"PART#{i:04d}", "data": part})
                }
            }
            for i, part in enumerate(parts)
        ]
        for start in range(0, len(writes), 10):  # 10 x 350 KB stays well under BatchWriteItem's 16 MB
            self._write_small(writes[start : start + 10])
        manifest = {"pk": "SNAPSHOTS", "sk": f"GEN#{pointer.generation}", **pointer.model_dump()}
        client("dynamodb").put_item(TableName=self._table, Item=marshal(manifest))

    def _write_small(self, writes: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: writes}
        while pending:
            pending = client("dynamodb").batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def flip(self, pointer: SnapshotPointer) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=marshal({"pk": "SNAPSHOT", "sk": "CURRENT", **pointer.model_dump()}),
                ConditionExpression="attribute_not_exists(pk) OR generation < :g",
                ExpressionAttributeValues=values(g=pointer.generation),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def read_parts(self, pointer: SnapshotPointer) -> list[bytes]:
        keys = [marshal({"pk": f"SNAPSHOT#{pointer.generation}", "sk": f"PART#{i:04d}"}) for i in range(pointer.parts)]
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), BATCH_GET):
            request: dict[str, Any] = {self._table: {"Keys": keys[start : start + BATCH_GET]}}
            while request:
                response = client("dynamodb").batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self._table, []):
                    item = unmarshal(raw)
                    found[item["sk"]] = bytes(item["data"])
                request = response.get("UnprocessedKeys") or {}
        missing = [i for i in range(pointer.parts) if f"PART#{i:04d}" not in found]
        if missing:
            raise KeyError(f"snapshot {pointer.generation} lacks parts {missing}")
        return [found[f"PART#{i:04d}"] for i in range(pointer.parts)]

    def manifests(self) -> list[SnapshotPointer]:
        return [
            SnapshotPointer.model_validate({k: i[k] for k in SnapshotPointer.model_fields})
            for i in self._query("SNAPSHOTS")
        ]

    def delete_generation(self, pointer: SnapshotPointer) -> None:
        writes: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": marshal({"pk": f"SNAPSHOT#{pointer.generation}", "sk": f"PART#{i:04d}"})}}
            for i in range(pointer.parts)
        ]
        writes.append({"DeleteRequest": {"Key": marshal({"pk": "SNAPSHOTS", "sk": f"GEN#{pointer.generation}"})}})
        self._write(writes)


class DynamoSearchLog(_Table):
    def record(self, entry: SearchLogEntry) -> None:
        at = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        shard = zlib.crc32(entry.search_id.encode()) % LOG_SHARDS
        item = {
            "pk": f"SEARCHLOG#{at.date().isoformat()}#{shard}",
            "sk": f"{entry.at}#{entry.search_id}",
            **entry.model_dump(),
            "expires_at": int((at + timedelta(days=LOG_DAYS)).timestamp()),
        }
        client("dynamodb").put_item(TableName=self._table, Item=marshal(item))

    def day(self, day: str) -> list[dict[str, Any]]:
        """Every term logged on one day (for the search report and tests)."""
        return [item for shard in range(LOG_SHARDS) for item in self._query(f"SEARCHLOG#{day}#{shard}")]
