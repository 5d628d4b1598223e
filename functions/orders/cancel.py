"""Cancelling an order before the interception gate: POST /me/orders/{order_id}/cancel (the
customer, own orders only: another's answers 404) and POST /admin/orders/{order_id}/cancel {reason}
(staff, permission MANAGE_ORDERS).

One conditional write moves the order to ``cancel_requested``; the waiting workflow task is failed
with ``OrderCancelled`` and the workflow voids (or refunds), releases the stock and marks it
``cancelled``. An order ready for fulfilment has no waiting task: this request finishes the cancel
itself. Handed to the carrier (or later): 409 ORDER_PAST_INTERCEPTION with a ``return_url``."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.common.api import api_handler, customer_id, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.orders.models import CancelRequest, Order, OrderAccepted, StaffReasonRequest
from commerce.orders.service import status_url
from commerce.wiring.orders import cancel_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]


def _accepted(order: Order) -> Response[OrderAccepted]:
    body = OrderAccepted(order_id=order.order_id, status=order.status, status_url=status_url(order.order_id))
    return Response(status_code=202, body=body, content_type="application/json")


@app.post("/me/orders/<order_id>/cancel", status_code=202)
def cancel_mine(order_id: OrderId, request: Annotated[CancelRequest | None, Body()] = None) -> Response[OrderAccepted]:
    """202 with the status now (``cancel_requested`` while the workflow finishes, or ``cancelled``)."""
    sub = customer_id(app)
    logger.append_keys(customer_id=sub, order_id=order_id)
    reason = request.reason if request is not None else None
    order = cancel_service().cancel(order_id, f"customer:{sub}", reason, customer_id=sub)
    metrics.add_metric(name="OrderCancelRequests", unit="Count", value=1)
    return _accepted(order)


@app.post("/admin/orders/<order_id>/cancel", status_code=202)
def cancel_as_staff(order_id: OrderId, request: Annotated[StaffReasonRequest, Body()]) -> Response[OrderAccepted]:
    logger.append_keys(order_id=order_id)
    order = cancel_service().cancel(order_id, f"staff:{staff_id(app)}", request.reason)
    metrics.add_metric(name="OrderCancelRequests", unit="Count", value=1)
    return _accepted(order)


handler = api_handler(app)
