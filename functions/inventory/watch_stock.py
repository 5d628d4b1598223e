"""The inventory table's stream (commerce.inventory.watch): logs the stock changes orders make
(reservation, release, dispatch), keeps the low-stock list, and publishes LowStock once per crossing
of a SKU's threshold. Records of other items (warehouse rows, the change log, the lists) are
ignored. Every write is idempotent, so a failed batch is simply retried whole (at least once)."""

from typing import Any

from commerce.adapters.dynamo import unmarshal
from commerce.common.entrypoints import stream_handler
from commerce.common.observability import logger, metrics
from commerce.inventory.watch import record_of
from commerce.wiring.inventory_admin import stock_watcher


def watch(records: list[dict[str, Any]]) -> list[str]:
    stock = [r for r in (record_of(raw, unmarshal) for raw in records) if r is not None]
    if not stock:
        return []
    outcome = stock_watcher().watch(stock)
    if outcome["announced"]:
        logger.info("low stock announced", extra=outcome)
        metrics.add_metric(name="LowStockAnnounced", unit="Count", value=outcome["announced"])
    return []


handler = stream_handler(watch)
