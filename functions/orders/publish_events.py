"""Outbox publisher (docs/orders.md section 2): consumes the orders table's stream and puts each
newly inserted timeline entry (``EVENT#<seq>``) on the bus as a ``commerce.orders`` event, in
PutEvents calls of up to 10 entries. Other records (the order item, idempotency records, changes
and removals) are ignored. Entries EventBridge refuses (``FailedEntryCount``) are answered as
``batchItemFailures`` by SequenceNumber, so the retry starts at the first of them. At least once:
consumers de-duplicate by ``event_id``."""

from typing import Any

from commerce.adapters.dynamo import unmarshal
from commerce.common.entrypoints import stream_handler
from commerce.common.observability import logger, metrics
from commerce.orders.outbox import Change
from commerce.wiring.orders_background import outbox


def change_of(record: dict[str, Any]) -> Change:
    data = record.get("dynamodb") or {}
    image = data.get("NewImage")
    return Change(
        sequence=str(data.get("SequenceNumber", "")),
        name=str(record.get("eventName", "")),
        new=unmarshal(image) if image else None,
    )


def publish(records: list[dict[str, Any]]) -> list[str]:
    failed = outbox().publish([change_of(record) for record in records])
    if failed:
        logger.warning("events not accepted; the batch resumes from the first", extra={"failed": len(failed)})
        metrics.add_metric(name="OutboxPublishFailures", unit="Count", value=len(failed))
    return failed


handler = stream_handler(publish)
