"""Staff changes to an order (permission MANAGE_ORDERS): POST /admin/orders/{order_id}/hold
{reason} and /release, POST /admin/orders/{order_id}/notes {text}, PUT
/admin/orders/{order_id}/shipping-address (an address in the same country).

A held order is not handed to the warehouse: the dispatch handler keeps the Dispatch task's token
and sends nothing; the release queues the dispatch request again. Holding and re-addressing are
refused (409 DISPATCH_ALREADY_REQUESTED) once the dispatch request went to the warehouse."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.backoffice_orders.models import AdminOrderState, HoldRequest, Note, NoteRequest
from commerce.common.api import api_handler, caller_email, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.customers.models import AddressInput
from commerce.wiring.backoffice_orders import manage_service

app = make_resolver()
OrderId = Annotated[str, Path(min_length=1, max_length=64)]


@app.post("/admin/orders/<order_id>/hold")
def hold(order_id: OrderId, request: Annotated[HoldRequest, Body()]) -> AdminOrderState:
    """200: held (409 ORDER_ALREADY_HELD, ORDER_NOT_CHANGEABLE, DISPATCH_ALREADY_REQUESTED)."""
    logger.append_keys(order_id=order_id)
    state = manage_service().hold(order_id, request.reason, staff_id(app))
    metrics.add_metric(name="OrdersHeld", unit="Count", value=1)
    return state


@app.post("/admin/orders/<order_id>/release")
def release(order_id: OrderId) -> AdminOrderState:
    """200: released; a dispatch request that waited is queued (409 ORDER_NOT_HELD)."""
    logger.append_keys(order_id=order_id)
    return manage_service().release(order_id, staff_id(app))


@app.post("/admin/orders/<order_id>/notes", status_code=201)
def add_note(order_id: OrderId, request: Annotated[NoteRequest, Body()]) -> Response[Note]:
    """201: the note (internal: never shown to the customer)."""
    logger.append_keys(order_id=order_id)
    note = manage_service().add_note(order_id, request.text, staff_id(app), caller_email(app))
    return Response(status_code=201, body=note, content_type="application/json")


@app.put("/admin/orders/<order_id>/shipping-address")
def change_shipping_address(order_id: OrderId, request: Annotated[AddressInput, Body()]) -> AdminOrderState:
    """200: the order with its new address (409 DISPATCH_ALREADY_REQUESTED; 422 SHIPPING_COUNTRY_CHANGE)."""
    logger.append_keys(order_id=order_id)
    return manage_service().change_address(order_id, request, staff_id(app))


handler = api_handler(app)
