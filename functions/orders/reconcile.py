"""Reconciliation (docs/fulfilment.md section 6), every 15 minutes: orders whose workflow ended
unexpectedly (FAILED, TIMED_OUT, ABORTED) and are not finished are raised for staff
(``commerce/orders/reconcile.py``). Idempotent; a two-day look-back covers missed runs."""

from commerce.common.entrypoints import scheduled_handler
from commerce.common.observability import metrics
from commerce.wiring.orders_background import reconciler


def reconcile() -> dict[str, list[str]]:
    outcome = reconciler().run()
    metrics.add_metric(name="OrdersNeedingAttention", unit="Count", value=len(outcome["raised"]))
    return outcome


handler = scheduled_handler(reconcile)
