"""Browsing the audit log on DynamoDB (table ``audit``, written by ``audit_dynamo.DynamoAuditLog``).

Every listing is one Query, newest first, with a keyset cursor:
- an entity's history: ``pk = ENTITY#<type>#<id>`` (``sk`` = ``<at>#<audit id>``, so a day is a
  ``begins_with`` on it);
- an actor's: GSI ``by_actor`` (``actor``, ``at``);
- a day's: GSI ``by_day`` (``day``, ``at``).
"""

from __future__ import annotations

import json
from typing import Any

from commerce.adapters import cursors
from commerce.adapters.aws import client
from commerce.adapters.dynamo import unmarshal, values
from commerce.audit.models import AuditEntry
from commerce.staff.errors import InvalidCursor

TABLE_KEYS = frozenset({"pk", "sk"})


class DynamoAuditReader:
    def __init__(self, table: str) -> None:
        self._table = table

    def of_entity(
        self, entity_type: str, entity_id: str, day: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEntry], str | None]:
        pk = f"ENTITY#{entity_type}#{entity_id}"
        return self._page(None, ("pk", pk), ("sk", day), TABLE_KEYS, limit, cursor)

    def of_actor(
        self, actor: str, day: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEntry], str | None]:
        return self._page("by_actor", ("actor", actor), ("at", day), TABLE_KEYS | {"actor", "at"}, limit, cursor)

    def of_day(self, day: str, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        return self._page("by_day", ("day", day), ("at", None), TABLE_KEYS | {"day", "at"}, limit, cursor)

    def _page(
        self,
        index: str | None,
        partition: tuple[str, str],
        prefix: tuple[str, str | None],
        keys: frozenset[str],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[AuditEntry], str | None]:
        (pk_name, pk_value), (sk_name, sk_prefix) = partition, prefix
        condition = "#p = :p" + (" AND begins_with(#s, :s)" if sk_prefix else "")
        names = {"#p": pk_name, **({"#s": sk_name} if sk_prefix else {})}
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(p=pk_value, **({"s": sk_prefix} if sk_prefix else {})),
            "ScanIndexForward": False,  # newest first
            "Limit": limit,
        }
        if index:
            request["IndexName"] = index
        if cursor:
            try:
                request["ExclusiveStartKey"] = cursors.decode(
                    cursor,
                    keys,
                    lambda key: key[pk_name] == pk_value and key[sk_name].startswith(sk_prefix or ""),
                )
            except ValueError:
                raise InvalidCursor("This cursor does not belong to this listing.") from None
        response = client("dynamodb").query(**request)
        entries = [_entry(unmarshal(item)) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return entries, cursors.encode(last) if last else None


def _entry(item: dict[str, Any]) -> AuditEntry:
    data = {k: v for k, v in item.items() if k in AuditEntry.model_fields}
    for side in ("before", "after"):  # stored as JSON text (audit_dynamo.py)
        if isinstance(data.get(side), str):
            data[side] = json.loads(data[side])
    return AuditEntry.model_validate(data)
