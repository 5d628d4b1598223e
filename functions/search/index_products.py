"""SQS consumer: ProductUpserted / ProductRetired events (via the bus rule) -> search documents
(the snapshot publisher picks the change up within a minute)."""

from typing import Any

from commerce.common.entrypoints import eventbridge_sqs_handler
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog import search_indexer


def on_event(event: dict[str, Any]) -> None:
    product_id = event["detail"]["product_id"]
    outcome = search_indexer().reindex(product_id)
    metrics.add_metric(name="SearchIndexUpdates", unit="Count", value=1)
    logger.info("search index updated", extra={"product_id": product_id, "outcome": outcome})


handler = eventbridge_sqs_handler(on_event)
