"""POST /admin/orders/{order_id}/emails/{event_id}/resend (permission MANAGE_ORDERS): render again
and send the email an order event sent (the same template, to the order's contact email), recorded
on the order with who sent it and the new message id."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from commerce.backoffice_orders.models import ResendResult
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.wiring.backoffice_orders import email_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]
EventId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


@app.post("/admin/orders/<order_id>/emails/<event_id>/resend")
def resend(order_id: OrderId, event_id: EventId) -> ResendResult:
    """200: sent again (404 EMAIL_NOT_FOUND: that event sent no email; 409 NO_CONTACT_EMAIL)."""
    logger.append_keys(order_id=order_id, event_id=event_id)
    result = email_service().resend(order_id, event_id, staff_id(app))
    metrics.add_metric(name="EmailsResent", unit="Count", value=1)
    return result


handler = api_handler(app)
