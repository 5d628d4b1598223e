"""Workflow task of order-lifecycle: every move the workflow makes on an order.

Input: {"action", "order_id", ...}. Actions: ``accept`` (authorised, the risk check and ready
unless flagged: answers ``flagged`` and ``reasons``), ``authorised``, ``declined`` (answers
``retry_window_seconds``, what is left of the window), ``await_payment_retry`` and ``await_review``
(``.waitForTaskToken``: store the task token on the order), ``risk_check`` (answers ``flagged``
and ``reasons``), ``review_timeout``, ``ready``, ``reject``, ``expire``, ``cancel``. Moves that end
the order release its stock in the same transaction (conditional on the old status); ``reject``,
``expire`` and ``cancel`` then void the payment (or refund a capture). An order found
``cancel_requested`` fails the task with the error ``OrderCancelled`` (the ASL catches it).
Fulfilment's steps (docs/fulfilment.md): ``ship`` (``.waitForTaskToken``: capture, deduct the
stock, shipped; the token waits for the carrier's delivered) and ``complete`` (after the return
window). Repeating a done transition answers the current state."""

from typing import Any

from commerce.common.entrypoints import task_handler
from commerce.common.observability import logger
from commerce.wiring.fulfilment import workflow_service
from commerce.wiring.orders import transition_service


def transition(event: dict[str, Any]) -> dict[str, Any]:
    logger.append_keys(order_id=event.get("order_id"), action=event.get("action"))
    action, order_id = str(event["action"]), str(event["order_id"])
    if action == "ship":
        return workflow_service().ship(order_id, str(event["task_token"]))
    if action == "complete":
        return workflow_service().complete(order_id)
    payment = event.get("payment")
    detail: dict[str, Any] = dict(payment) if isinstance(payment, dict) else {}
    for key in ("task_token", "reasons"):
        if key in event:
            detail[key] = event[key]
    return transition_service().transition(action, order_id, detail)


handler = task_handler(transition)
