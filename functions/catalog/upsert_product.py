"""Workflow task (catalogue-import Map state): validate and store one product, announce it.

Input: {"import_id": ..., "product": {...}}; output: an ImportOutcome. Invalid products are a
"rejected" outcome; only unexpected errors fail the task (and the ASL retries them)."""

from typing import Any

from commerce.common.entrypoints import task_handler
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog import catalog_service


def upsert(event: dict[str, Any]) -> dict[str, Any]:
    logger.append_keys(import_id=event.get("import_id"))
    outcome = catalog_service().upsert_product(event.get("product") or {})
    metrics.add_metric(
        name="ProductsImported" if outcome.status == "imported" else "ProductsRejected", unit="Count", value=1
    )
    return outcome.model_dump()


handler = task_handler(upsert)
