"""Workflow task: authorise, capture, void or refund one order's payment through the gateway.

Input: {"operation": "authorise"|"capture"|"void"|"refund", "order_id", "amount", "currency",
"token" (authorise), "task_token" (when the workflow waits for the authorisation outcome)}.
Idempotent: retried calls reuse the same idempotency key. Gateway timeouts and
5xx fail the task with errorType ``GatewayUnavailable`` so the ASL retries it with backoff."""

from typing import Any

from commerce.common.entrypoints import task_handler
from commerce.common.observability import logger
from commerce.wiring.payments import operate_service


def operate(event: dict[str, Any]) -> dict[str, Any]:
    logger.append_keys(order_id=event.get("order_id"), operation=event.get("operation"))
    return operate_service().operate(event)


handler = task_handler(operate)
