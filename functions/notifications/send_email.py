"""SQS consumer: order events (bus rule ``order-events-to-notifications``) -> the customer's email,
sent exactly once per event (a batch of up to 10; only failed messages are retried)."""

from typing import Any

from commerce.common.entrypoints import eventbridge_sqs_handler
from commerce.common.observability import metrics
from commerce.notifications.models import OrderEvent, Outcome
from commerce.wiring.notifications import notification_service


def on_event(event: dict[str, Any]) -> None:
    outcome = notification_service().handle(OrderEvent.from_eventbridge(event))
    if outcome is Outcome.SENT:
        metrics.add_metric(name="EmailsSent", unit="Count", value=1)


handler = eventbridge_sqs_handler(on_event)
