"""Staff review of a flagged order: POST /admin/orders/{order_id}/approve and
POST /admin/orders/{order_id}/reject {reason} (permission MANAGE_ORDERS, declared in the topology).

Each is one conditional move from ``in_review`` (approved; or rejected with the stock released),
then the workflow's WaitForReview task is completed with the decision. Any other status answers
409 ORDER_NOT_IN_REVIEW."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger
from commerce.orders.models import OrderAccepted, StaffReasonRequest
from commerce.orders.service import status_url
from commerce.wiring.orders import review_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]


def _accepted(order_id: str, status: str) -> Response[OrderAccepted]:
    body = OrderAccepted.model_validate({"order_id": order_id, "status": status, "status_url": status_url(order_id)})
    return Response(status_code=202, body=body, content_type="application/json")


@app.post("/admin/orders/<order_id>/approve", status_code=202)
def approve(order_id: OrderId) -> Response[OrderAccepted]:
    """202: approved; the workflow marks the order ready for fulfilment."""
    logger.append_keys(order_id=order_id)
    order = review_service().review(order_id, staff_id(app), approve=True)
    return _accepted(order_id, order.status)


@app.post("/admin/orders/<order_id>/reject", status_code=202)
def reject(order_id: OrderId, request: Annotated[StaffReasonRequest, Body()]) -> Response[OrderAccepted]:
    """202: rejected, stock released; the workflow voids the authorisation."""
    logger.append_keys(order_id=order_id)
    order = review_service().review(order_id, staff_id(app), approve=False, reason=request.reason)
    return _accepted(order_id, order.status)


handler = api_handler(app)
