"""The back office's customer directory and staff notes, in the ``customers`` table.

Index entries (GSI ``directory``: ``dir_pk``, ``dir_sk``), written by the profile repository in
the same transaction as the profile (customers_dynamo.py):
- the PROFILE item itself: ``dir_pk = CUSTOMERS``, ``dir_sk = <created_at>#<customer id>``: every
  customer, newest first;
- one ``TERM#<term>`` item per search term (commerce/customers/directory.py) in the customer's
  partition: ``dir_pk = TERM#<first character>``, ``dir_sk = <term>#<customer id>``, carrying the
  summary (email, name, created_at) and all of the customer's terms. A search is one Query:
  ``dir_pk = TERM#<q[0]> AND begins_with(dir_sk, q)``; the shard keeps the index's partitions
  many (one per first character) instead of one hot one.
Staff notes: ``NOTE#<created_at>#<note id>`` in the customer's partition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.adapters import cursors
from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.customers.directory import matching_term, search_terms
from commerce.customers.errors import InvalidCursor
from commerce.customers.models import CustomerSummary, StaffNote

INDEX = "directory"
EVERYONE = "CUSTOMERS"
TERM = "TERM#"
NOTE = "NOTE#"
INDEX_KEYS = frozenset({"dir_pk", "dir_sk", "pk", "sk"})
READ_AHEAD = 25  # index entries read per Query at least (a search skips customers already reported)


def partition(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def profile_entry(customer_id: str, created_at: str) -> dict[str, str]:
    """The attributes that list a PROFILE item in the directory (newest first)."""
    return {"dir_pk": EVERYONE, "dir_sk": f"{created_at}#{customer_id}"}


def term_items(customer_id: str, email: str | None, name: str | None, created_at: str) -> dict[str, dict[str, Any]]:
    """The customer's TERM items, by sort key."""
    terms = search_terms(email, name)
    summary = {"customer_id": customer_id, "created_at": created_at, "email": email, "name": name, "terms": terms}
    return {
        TERM + term: {
            "pk": partition(customer_id),
            "sk": TERM + term,
            "dir_pk": TERM + term[0],
            "dir_sk": f"{term}#{customer_id}",
            **{k: v for k, v in summary.items() if v is not None},
        }
        for term in terms
    }


class DynamoCustomerDirectory:
    def __init__(self, table: str) -> None:
        self._table = table

    def newest(self, limit: int, cursor: str | None) -> tuple[list[CustomerSummary], str | None]:
        request = self._request("dir_pk = :p", {"p": EVERYONE}, forward=False)
        start = self._start(cursor, lambda key: key["dir_pk"] == EVERYONE and key["sk"] == "PROFILE")
        return self._page(request, start, limit, lambda item: True)

    def search(self, query: str, limit: int, cursor: str | None) -> tuple[list[CustomerSummary], str | None]:
        shard = TERM + query[0]
        request = self._request("dir_pk = :p AND begins_with(dir_sk, :q)", {"p": shard, "q": query}, forward=True)
        start = self._start(cursor, lambda key: key["dir_pk"] == shard and key["dir_sk"].startswith(query))
        # a customer matching through several terms is reported on one of them only
        return self._page(
            request, start, limit, lambda item: matching_term(item["terms"], query) == item["sk"][len(TERM) :]
        )

    def add_note(self, customer_id: str, note: StaffNote) -> None:
        item = {
            "pk": partition(customer_id),
            "sk": f"{NOTE}{note.created_at}#{note.note_id}",
            **note.model_dump(exclude_none=True),
        }
        client("dynamodb").put_item(TableName=self._table, Item=marshal(item))

    def notes(self, customer_id: str, limit: int) -> list[StaffNote]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :note)",
            ExpressionAttributeValues=values(pk=partition(customer_id), note=NOTE),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            StaffNote.model_validate({k: v for k, v in unmarshal(raw).items() if k in StaffNote.model_fields})
            for raw in response.get("Items", [])
        ]

    # ---- paging ---------------------------------------------------------------------------------
    def _request(self, condition: str, bound: dict[str, str], forward: bool) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values(**bound),
            "ScanIndexForward": forward,
        }

    @staticmethod
    def _start(cursor: str | None, belongs: Callable[[dict[str, str]], bool]) -> dict[str, Any] | None:
        if cursor is None:
            return None
        try:
            return cursors.decode(cursor, INDEX_KEYS, belongs)
        except ValueError:
            raise InvalidCursor("This cursor does not belong to this listing.") from None

    def _page(
        self,
        request: dict[str, Any],
        start: dict[str, Any] | None,
        limit: int,
        accept: Callable[[dict[str, Any]], bool],
    ) -> tuple[list[CustomerSummary], str | None]:
        """Up to ``limit`` accepted entries, and a cursor only when another accepted one follows."""
        found: list[CustomerSummary] = []
        last: dict[str, Any] = {}
        request = {**request, "Limit": max(limit + 1, READ_AHEAD)}
        if start:
            request["ExclusiveStartKey"] = start
        while True:
            response = client("dynamodb").query(**request)
            for raw in response.get("Items", []):
                item = unmarshal(raw)
                if not accept(item):
                    continue
                if len(found) == limit:
                    return found, cursors.encode({k: last[k] for k in INDEX_KEYS})
                found.append(CustomerSummary.model_validate({k: item.get(k) for k in CustomerSummary.model_fields}))
                last = item
            if "LastEvaluatedKey" not in response:
                return found, None
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
