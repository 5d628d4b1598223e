"""Schedule (every minute): rebuild the compressed catalogue snapshot when the documents changed
(or it is older than its maximum age, for stock status); idempotent, a no-op otherwise."""

from typing import Any

from commerce.common.entrypoints import task_handler
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog import snapshot_publisher


def publish(event: dict[str, Any]) -> dict[str, Any]:
    outcome = snapshot_publisher().publish()
    if outcome.status == "published":
        metrics.add_metric(name="SnapshotsPublished", unit="Count", value=1)
        metrics.add_metric(name="SnapshotBytes", unit="Bytes", value=outcome.bytes)
    logger.info("catalogue snapshot", extra=outcome.__dict__)
    return dict(outcome.__dict__)


handler = task_handler(publish)
