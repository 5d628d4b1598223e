"""Workflow task of order-lifecycle: move an order on a payment outcome or the window's end.

Input: {"action": "authorised"|"declined"|"expire", "order_id", "payment": {...the outcome...}}.
``authorised`` keeps the stock reserved; ``declined`` and ``expire`` release it in the same
transaction that moves the status (conditional on the old status); ``expire`` also voids an
authorisation if there is one. Repeating a done transition answers the current status."""

from typing import Any

from commerce.common.entrypoints import task_handler
from commerce.common.observability import logger
from commerce.wiring.orders import transition_service


def transition(event: dict[str, Any]) -> dict[str, Any]:
    logger.append_keys(order_id=event.get("order_id"), action=event.get("action"))
    payment = event.get("payment")
    return transition_service().transition(
        str(event["action"]), str(event["order_id"]), payment if isinstance(payment, dict) else None
    )


handler = task_handler(transition)
