"""Reservation sweeper (docs/orders.md section 5), every 5 minutes: releases the stock held by
orders past their ``reserved_until`` whose workflow is not running, marking them ``expired`` in one
transaction conditional on the status (``commerce/orders/sweeper.py``). Idempotent and safe to run
concurrently."""

from commerce.common.entrypoints import scheduled_handler
from commerce.common.observability import metrics
from commerce.wiring.orders_background import sweeper


def sweep() -> dict[str, list[str]]:
    outcome = sweeper().sweep()
    metrics.add_metric(name="ReservationsReleased", unit="Count", value=len(outcome["released"]))
    return outcome


handler = scheduled_handler(sweep)
