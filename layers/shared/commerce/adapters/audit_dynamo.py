"""The audit log on DynamoDB (table ``audit``; commerce/audit/models.py)."""

from __future__ import annotations

import json
from typing import Any

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal
from commerce.audit.models import AuditEntry


class DynamoAuditLog:
    def __init__(self, table: str) -> None:
        self._table = table

    def write(self, entries: list[AuditEntry]) -> None:
        for start in range(0, len(entries), 25):
            requests: dict[str, Any] = {
                self._table: [{"PutRequest": {"Item": marshal(self._item(e))}} for e in entries[start : start + 25]]
            }
            while requests:
                requests = client("dynamodb").batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}

    @staticmethod
    def _item(entry: AuditEntry) -> dict[str, Any]:
        item = entry.model_dump(mode="json")
        # before/after are stored as JSON text: any shape, never a DynamoDB type surprise
        item["before"] = json.dumps(entry.before, default=str) if entry.before is not None else None
        item["after"] = json.dumps(entry.after, default=str) if entry.after is not None else None
        return {
            "pk": f"ENTITY#{entry.entity_type}#{entry.entity_id}",
            "sk": f"{entry.at}#{entry.audit_id}",
            **{k: v for k, v in item.items() if v is not None},
        }
