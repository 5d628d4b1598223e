"""Reading many DynamoDB items: BatchGetItem in chunks of 100 (retrying unprocessed keys), Query
pages with opaque cursors (``commerce.adapters.cursors``), and the exhausting Query."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from commerce.adapters import cursors
from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal

BATCH_GET = 100


def batch_get(table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET):
        request: dict[str, Any] = {table: {"Keys": [marshal(k) for k in keys[start : start + BATCH_GET]]}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            items += [unmarshal(raw) for raw in response["Responses"].get(table, [])]
            request = response.get("UnprocessedKeys") or {}
    return items


def cursor_start(
    cursor: str | None,
    fields: frozenset[str],
    belongs: Callable[[dict[str, str]], bool],
    invalid: Callable[[], Exception],
) -> dict[str, Any] | None:
    """The ExclusiveStartKey of a listing's cursor (``commerce.adapters.cursors``); ``invalid()`` is
    raised for a cursor this listing did not give out."""
    if not cursor:
        return None
    try:
        return cursors.decode(cursor, fields, belongs)
    except ValueError as error:
        raise invalid() from error


def query_page(
    request: dict[str, Any], limit: int, cursor_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` items of a Query (its FilterExpression applied) and the cursor to go on from:
    each call asks only for what is still missing, so the page never skips an item."""
    items: list[dict[str, Any]] = []
    start = cursor_key
    while len(items) < limit:
        page = client("dynamodb").query(
            **request, Limit=limit - len(items), **({"ExclusiveStartKey": start} if start else {})
        )
        items += [unmarshal(raw) for raw in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return items, cursors.encode(start) if start else None


def query_all(request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        page = client("dynamodb").query(**request)
        yield from (unmarshal(raw) for raw in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}
