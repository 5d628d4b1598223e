"""Search index on DynamoDB: ``TERM#<term>`` / ``PRODUCT#<id>`` postings plus a ``DOC#<id>`` item
remembering each product's terms, so re-indexing deletes the postings that no longer apply."""

from __future__ import annotations

from typing import Any

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal

BATCH = 25


class DynamoSearchIndex:
    def __init__(self, table: str) -> None:
        self._table = table

    def _previous_terms(self, product_id: str) -> set[str]:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self._table,
                Key=marshal({"pk": f"DOC#{product_id}", "sk": "DOC"}),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return set(unmarshal(item).get("terms", [])) if item else set()

    def replace(self, product_id: str, terms: set[str]) -> None:
        stale = self._previous_terms(product_id) - terms
        writes: list[dict[str, Any]] = [
            {"PutRequest": {"Item": marshal({"pk": f"TERM#{t}", "sk": f"PRODUCT#{product_id}"})}} for t in sorted(terms)
        ]
        writes += [
            {"DeleteRequest": {"Key": marshal({"pk": f"TERM#{t}", "sk": f"PRODUCT#{product_id}"})}}
            for t in sorted(stale)
        ]
        writes.append(
            {"PutRequest": {"Item": marshal({"pk": f"DOC#{product_id}", "sk": "DOC", "terms": sorted(terms) or ["-"]})}}
        )
        self._write(writes)

    def remove(self, product_id: str) -> None:
        stale = self._previous_terms(product_id)
        writes: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": marshal({"pk": f"TERM#{t}", "sk": f"PRODUCT#{product_id}"})}}
            for t in sorted(stale)
        ]
        writes.append({"DeleteRequest": {"Key": marshal({"pk": f"DOC#{product_id}", "sk": "DOC"})}})
        self._write(writes)

    def _write(self, writes: list[dict[str, Any]]) -> None:
        for start in range(0, len(writes), BATCH):
            pending: dict[str, Any] = {self._table: writes[start : start + BATCH]}
            while pending:
                pending = client("dynamodb").batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def postings(self, term: str) -> list[str]:
        """Product ids under one term (used by tests and, later, the search API)."""
        page = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=marshal({":pk": f"TERM#{term}"}),
        )
        return [unmarshal(i)["sk"].removeprefix("PRODUCT#") for i in page.get("Items", [])]
