"""Checkout: delivery methods for a destination, and the itemised quote of a cart (anonymous by
cart id, or the signed-in customer's) with every amount computed here. The quote is stored for
15 minutes under its id (for staff and the one-order-per-quote marker); the response carries a
signed ``quote_token`` that POST /orders trusts without reading the quote."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from commerce.carts.service import Owner
from commerce.checkout.models import AnonymousQuoteRequest, CustomerQuoteRequest, DeliveryMethods, SignedQuote
from commerce.common.api import api_handler, customer_id, make_resolver
from commerce.common.observability import logger, metrics
from commerce.wiring.carts import checkout_service

app = make_resolver()


@app.get("/delivery-methods")
def delivery_methods(
    # Optional in the signature only so that an unknown parameter is reported as such (the unknown-
    # parameter check runs after validation); a missing country is still a 422 INVALID_PARAMETER.
    country: Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 destination")],
) -> DeliveryMethods:
    return checkout_service().delivery_methods(country)


@app.post("/carts/<cart_id>/quote", status_code=201)
def quote_cart(
    cart_id: Annotated[str, Path(min_length=1, max_length=100)],
    request: Annotated[AnonymousQuoteRequest, Body()],
) -> Response[SignedQuote]:
    quote = checkout_service().quote(Owner.anonymous(cart_id), request.shipping_address, request)
    return _created(quote)


@app.post("/me/cart/quote", status_code=201)
def quote_my_cart(request: Annotated[CustomerQuoteRequest, Body()]) -> Response[SignedQuote]:
    sub = customer_id(app)
    logger.append_keys(customer_id=sub)
    service = checkout_service()
    address = request.shipping_address or service.saved_address(sub, str(request.address_id))
    return _created(service.quote(Owner.customer(sub), address, request))


def _created(quote: SignedQuote) -> Response[SignedQuote]:
    logger.info("quote issued", extra={"quote_id": quote.quote_id, "total": quote.total})
    metrics.add_metric(name="QuotesIssued", unit="Count", value=1)
    return Response(status_code=201, body=quote, content_type="application/json")


handler = api_handler(app)
