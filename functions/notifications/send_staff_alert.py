"""SQS consumer: LowStock events (bus rule ``low-stock-to-staff``) -> an email to each enabled member of
the staff groups that manage inventory, once per event (commerce/notifications/staff_alerts.py)."""

from typing import Any

from commerce.common.entrypoints import eventbridge_sqs_handler
from commerce.common.observability import metrics
from commerce.notifications.models import Outcome
from commerce.notifications.staff_alerts import LowStock
from commerce.wiring.notifications import staff_alerts


def on_event(event: dict[str, Any]) -> None:
    outcomes = staff_alerts().low_stock(LowStock.from_eventbridge(event))
    sent = sum(1 for outcome in outcomes if outcome is Outcome.SENT)
    if sent:
        metrics.add_metric(name="StaffAlertsSent", unit="Count", value=sent)


handler = eventbridge_sqs_handler(on_event)
