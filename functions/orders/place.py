"""POST /orders: place an order from a signed checkout quote.

Two sequential AWS calls on the happy path: one TransactWriteItems (idempotency record, order,
first timeline entry, quote-used marker, a stock reservation per line) and the StartExecution of
the order's workflow (named by the order id). The quote token is verified locally (HMAC, expiry,
owner); the signing key is cached, so only a cold start reads the secret."""

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from commerce.common.api import api_handler, caller_email, customer_id, make_resolver
from commerce.common.observability import logger, metrics
from commerce.orders.errors import IdempotencyKeyRequired
from commerce.orders.models import IDEMPOTENCY_KEY_PATTERN, Placed, PlaceOrderRequest
from commerce.orders.service import status_url
from commerce.wiring.orders import place_service

app = make_resolver()
KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Required: 8-128 of A-Za-z0-9_.:-")]


@app.post(
    "/orders",
    responses={201: {"description": "Placed"}, 200: {"description": "The order this key already placed"}},
)
def place_order(
    request: Annotated[PlaceOrderRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Placed]:
    """Header ``Idempotency-Key`` (8-128 of ``A-Za-z0-9_.:-``) is required: the same key and body
    answer the same order (200); the same key with another body is refused (422)."""
    sub = customer_id(app)
    key = idempotency_key
    if not key or not KEY.match(key):
        raise IdempotencyKeyRequired("Send an Idempotency-Key header of 8 to 128 characters (A-Z a-z 0-9 _ . : -).")
    logger.append_keys(customer_id=sub)
    order, created = place_service().place(sub, key, request, contact_email=caller_email(app))
    logger.info("order placed" if created else "order replayed", extra={"order_id": order.order_id})
    if created:
        metrics.add_metric(name="OrdersPlaced", unit="Count", value=1)
    body = Placed(order_id=order.order_id, status=order.status, status_url=status_url(order.order_id))
    return Response(
        status_code=201 if created else 200,
        body=body,
        content_type="application/json",
        headers={"Location": body.status_url},
    )


handler = api_handler(app)
