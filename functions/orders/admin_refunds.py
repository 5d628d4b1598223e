"""POST /admin/orders/{order_id}/refunds {amount, reason} (permission HANDLE_PAYMENTS; header
Idempotency-Key required): a full or partial refund of what was captured, through the payments
service with an explicit refund number reserved for the key, so a retried request never refunds
twice. 201 the refund; 200 the same refund again for the same key and body."""

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from commerce.backoffice_orders.models import RefundRequest, RefundResult
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.orders.errors import IdempotencyKeyRequired
from commerce.orders.models import IDEMPOTENCY_KEY_PATTERN
from commerce.wiring.backoffice_orders import refund_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]
KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Required: 8-128 of A-Za-z0-9_.:-")]


@app.post(
    "/admin/orders/<order_id>/refunds",
    responses={201: {"description": "Refunded"}, 200: {"description": "The refund this key already made"}},
)
def refund(
    order_id: OrderId, request: Annotated[RefundRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[RefundResult]:
    """409 NOTHING_TO_REFUND, REFUND_EXCEEDS_REFUNDABLE (``refundable``), REFUND_REFUSED (``decline_code``);
    422 IDEMPOTENCY_KEY_REUSED; 503 PAYMENT_GATEWAY_UNAVAILABLE (send it again, same key)."""
    key = idempotency_key
    if not key or not KEY.match(key):
        raise IdempotencyKeyRequired("Send an Idempotency-Key header of 8 to 128 characters (A-Z a-z 0-9 _ . : -).")
    logger.append_keys(order_id=order_id)
    result, created = refund_service().refund(order_id, key, request, staff_id(app))
    if created:
        metrics.add_metric(name="RefundsIssued", unit="Count", value=1)
    return Response(status_code=201 if created else 200, body=result, content_type="application/json")


handler = api_handler(app)
