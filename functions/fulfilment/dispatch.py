"""SQS consumer of ``warehouse-dispatch``: each message is the order workflow's Dispatch step,
``{"order_id", "task_token"}``. Stores the token on the order, writes the shipment, and sends the
dispatch to the warehouse system (idempotent by ``<order_id>:dispatch:1``). A warehouse that is
down fails only that message (partial batch failure): it is retried, then lands in the DLQ. An
order cancelled meanwhile fails the Dispatch task with OrderCancelled instead."""

from typing import Any

from commerce.common.entrypoints import eventbridge_sqs_handler
from commerce.common.observability import logger, metrics
from commerce.wiring.fulfilment import dispatch_service


def on_message(message: dict[str, Any]) -> None:
    order_id = str(message["order_id"])
    outcome = dispatch_service().request_dispatch(order_id, str(message["task_token"]))
    metrics.add_metric(name="DispatchRequests", unit="Count", value=1)
    logger.info("dispatch request handled", extra={"order_id": order_id, "outcome": outcome})


handler = eventbridge_sqs_handler(on_message)
