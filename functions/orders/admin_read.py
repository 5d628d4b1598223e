"""The back office's orders screens: GET /admin/orders (filters, newest first, keyset cursor) and
GET /admin/orders/{order_id} (the order, its timeline, payment, shipment, staff notes, refunds and
the emails sent). Permission MANAGE_ORDERS, declared in the topology.

How each filter is served (an index key condition or a bounded FilterExpression) and what it
costs: docs/back-office.md, "Orders: the staff screens"."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.backoffice_orders.listing import parse_filters
from commerce.backoffice_orders.models import AdminOrderDetail, AdminOrderPage, PaymentStatusName
from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import logger
from commerce.wiring.backoffice_orders import read_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]


@app.get("/admin/orders")
def list_orders(
    status: Annotated[str | None, Query(max_length=400, description="One or more statuses, comma-separated")] = None,
    created_from: Annotated[str | None, Query(max_length=40, description="A date (UTC) or ISO date-time")] = None,
    created_to: Annotated[str | None, Query(max_length=40, description="Inclusive; a date means the whole day")] = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    min_total: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    max_total: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    payment_status: Annotated[PaymentStatusName | None, Query()] = None,
    flagged: Annotated[
        bool | None, Query(description="In review, a fulfilment exception, or raised by reconciliation")
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=254, description="An order id or an email")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> AdminOrderPage:
    """Newest first. Every filter combines with the others and with the cursor."""
    filters = parse_filters(
        status, created_from, created_to, customer_id, min_total, max_total, payment_status, flagged, q
    )
    return read_service().list_orders(filters, limit, cursor)


@app.get("/admin/orders/<order_id>")
def get_order(order_id: OrderId) -> AdminOrderDetail:
    logger.append_keys(order_id=order_id)
    return read_service().detail(order_id)


handler = api_handler(app)
