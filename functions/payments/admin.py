"""The back office's finance screens (HANDLE_PAYMENTS, declared in the topology): GET /admin/payments
and GET /admin/refunds (newest first; status, created_from/created_to, order_id; keyset cursor) and
GET /admin/payments/{order_id} (one payment in full). Served by the payments table's by_created and
by_status indexes, never a scan: docs/back-office.md, "Finance"."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.common.api import api_handler, make_resolver
from commerce.payments.admin import PaymentDetail, PaymentPage, RefundPage
from commerce.payments.listing import filters
from commerce.payments.models import PaymentStatus
from commerce.wiring.payments_admin import payments_admin

app = make_resolver()
OrderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=1000)]
From = Annotated[str | None, Query(max_length=40, description="A date (UTC) or ISO date-time, inclusive")]
To = Annotated[str | None, Query(max_length=40, description="Inclusive; a date means the whole day")]
OrderFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@app.get("/admin/payments")
def list_payments(
    status: Annotated[PaymentStatus | None, Query()] = None,
    created_from: From = None,
    created_to: To = None,
    order_id: OrderFilter = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> PaymentPage:
    """Payment records, newest first (by when the payment was created, at the order's placement)."""
    wanted = filters("PAYMENT", str(status) if status else None, created_from, created_to, order_id)
    return payments_admin().payments(wanted, limit, cursor)


@app.get("/admin/payments/<order_id>")
def get_payment(order_id: OrderId) -> PaymentDetail:
    return payments_admin().detail(order_id)


@app.get("/admin/refunds")
def list_refunds(
    status: Annotated[Literal["requested", "applied", "refused"] | None, Query()] = None,
    created_from: From = None,
    created_to: To = None,
    order_id: OrderFilter = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> RefundPage:
    """Refunds, newest first (by when each was asked of the bank)."""
    return payments_admin().refunds(filters("REFUND", status, created_from, created_to, order_id), limit, cursor)


handler = api_handler(app)
