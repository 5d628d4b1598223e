"""The dashboard's counters in DynamoDB (table ``reports``), kept by reports-record-order-events:

- ``ORDER#<id>``/``STATE``: an order's latest status, its sequence number and the events counted
  (``version`` for the conditional write; expires 180 days after its last event);
- ``GAUGE``/``ORDERS_BY_STATUS``: one number per status (orders whose latest status it is);
- ``DAY#<yyyy-mm-dd>``/``FIGURES``: that day's counters (``orders``, ``revenue_<currency>``,
  ``payment_declines``, ``cancelled``, ``refunds_<currency>``, and per hour ``h<HH>_orders``,
  ``h<HH>_revenue_<currency>``; kept 400 days).

An event's three writes are one transaction, conditional on the order state's version."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.reports.models import OrderState
from commerce.reports.ports import StateChanged

STATE_DAYS = 180
DAY_DAYS = 400
GAUGE = {"pk": "GAUGE", "sk": "ORDERS_BY_STATUS"}


def _day_key(day: str) -> dict[str, str]:
    return {"pk": f"DAY#{day}", "sk": "FIGURES"}


class DynamoCounters:
    def __init__(self, table: str) -> None:
        self._table = table

    def state(self, order_id: str) -> OrderState | None:
        raw = (
            client("dynamodb")
            .get_item(
                TableName=self._table, Key=marshal({"pk": f"ORDER#{order_id}", "sk": "STATE"}), ConsistentRead=True
            )
            .get("Item")
        )
        if not raw:
            return None
        item = unmarshal(raw)
        return OrderState.model_validate({k: v for k, v in item.items() if k in OrderState.model_fields})

    def apply(self, state: OrderState, statuses: dict[str, int], day: str | None, figures: dict[str, int]) -> None:
        now = int(time.time())
        item = {"pk": f"ORDER#{state.order_id}", "sk": "STATE"} | state.model_dump(mode="json", exclude_none=True)
        item |= {"version": state.version + 1, "expires_at": now + STATE_DAYS * 86400}
        put: dict[str, Any] = {"TableName": self._table, "Item": marshal(item)}
        if state.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = values(v=state.version)
        items: list[dict[str, Any]] = [{"Put": put}]
        if statuses:
            items.append({"Update": self._add(GAUGE, statuses)})
        if day and figures:
            items.append({"Update": self._add(_day_key(day), figures, expires_at=now + DAY_DAYS * 86400)})
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise StateChanged(state.order_id) from error
            raise

    def _add(self, key: dict[str, str], deltas: dict[str, int], expires_at: int | None = None) -> dict[str, Any]:
        names = {f"#a{i}": name for i, name in enumerate(deltas)}
        bound = {f"a{i}": value for i, value in enumerate(deltas.values())}
        update = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(deltas)))
        if expires_at is not None:
            update = f"SET expires_at = :exp {update}"
            bound["exp"] = expires_at
        return {
            "TableName": self._table,
            "Key": marshal(key),
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(**bound),
        }

    def statuses(self) -> dict[str, int]:
        raw = client("dynamodb").get_item(TableName=self._table, Key=marshal(GAUGE)).get("Item")
        return _numbers(unmarshal(raw)) if raw else {}

    def days(self, dates: list[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        request: dict[str, Any] = {self._table: {"Keys": [marshal(_day_key(day)) for day in dates]}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            for raw in response["Responses"].get(self._table, []):
                item = unmarshal(raw)
                found[str(item["pk"]).removeprefix("DAY#")] = _numbers(item)
            request = response.get("UnprocessedKeys") or {}
        return found


def _numbers(item: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in item.items() if k not in ("pk", "sk", "expires_at") and isinstance(v, int)}
