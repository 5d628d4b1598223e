"""POST /me/orders/{order_id}/payment {payment_token}: a declined customer pays again while the
payment window is open (own orders only: another's answers 404).

A conditional move ``awaiting_payment_retry`` -> ``awaiting_payment``, then the workflow's
AwaitRetry task is completed with the new token and what is left of the window; the workflow
authorises again (a new attempt with its own idempotency key). 409 ORDER_NOT_AWAITING_RETRY in any
other status, 410 PAYMENT_WINDOW_CLOSED once the window has closed."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.common.api import api_handler, customer_id, make_resolver
from commerce.common.observability import logger
from commerce.orders.models import OrderAccepted, RetryPaymentRequest
from commerce.orders.service import status_url
from commerce.wiring.orders import retry_service

app = make_resolver()


@app.post("/me/orders/<order_id>/payment", status_code=202)
def retry_payment(
    order_id: Annotated[str, Path(min_length=1, max_length=64)], request: Annotated[RetryPaymentRequest, Body()]
) -> Response[OrderAccepted]:
    sub = customer_id(app)
    logger.append_keys(customer_id=sub, order_id=order_id)
    order = retry_service().retry_payment(sub, order_id, request.payment_token)
    body = OrderAccepted(order_id=order_id, status=order.status, status_url=status_url(order_id))
    return Response(status_code=202, body=body, content_type="application/json")


handler = api_handler(app)
