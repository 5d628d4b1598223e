"""SQS consumer: order events (bus rule ``order-events-to-reports``) -> the dashboard's counters
(orders by status, and per day and hour: orders placed and their value, declines, cancellations,
refunds). Each event is counted once, whatever the order and number of its deliveries."""

from typing import Any

from commerce.common.entrypoints import eventbridge_sqs_handler
from commerce.common.observability import metrics
from commerce.reports.service import ReportedEvent
from commerce.wiring.reports import record_service


def on_event(event: dict[str, Any]) -> None:
    if record_service().record(ReportedEvent.from_eventbridge(event)):
        metrics.add_metric(name="OrderEventsCounted", unit="Count", value=1)


handler = eventbridge_sqs_handler(on_event)
