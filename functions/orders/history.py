"""The customer's orders: GET /me/orders (newest first, paginated by cursor) and
GET /me/orders/{order_id} (the order, its timeline and its payment state). Another customer's
order answers 404."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.common.api import api_handler, customer_id, make_resolver
from commerce.common.observability import logger
from commerce.orders.models import OrderDetail, OrderPage
from commerce.wiring.orders import read_service

app = make_resolver()


@app.get("/me/orders")
def my_orders(
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> OrderPage:
    return read_service().history(customer_id(app), limit, cursor)


@app.get("/me/orders/<order_id>")
def my_order(order_id: Annotated[str, Path(min_length=1, max_length=64)]) -> OrderDetail:
    sub = customer_id(app)
    logger.append_keys(customer_id=sub, order_id=order_id)
    return read_service().detail(sub, order_id)


handler = api_handler(app)
