"""The back office's customers (permission MANAGE_CUSTOMERS): GET /admin/customers (newest first,
or ?q= a prefix of the email, the name or a word of it), GET /admin/customers/{customer_id}
(profile, account, addresses, recent orders, staff notes), POST .../notes, and POST .../disable and
/enable (the customer pool's AdminDisableUser/AdminEnableUser: a disabled customer cannot sign in).
Each change is audited."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from commerce.common.api import api_handler, caller_email, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.customers.admin import CustomerDetail
from commerce.customers.models import AccountStatus, CustomerList, NoteRequest, StaffNote
from commerce.wiring.customers_admin import customer_admin_service

app = make_resolver()

# The Cognito subject (a UUID on AWS and locally); never quotes, so it cannot escape a ListUsers filter.
CustomerId = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$")]


@app.get("/admin/customers")
def list_customers(
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> CustomerList:
    return customer_admin_service().browse(q, limit, cursor)


@app.get("/admin/customers/<customer_id>")
def get_customer(customer_id: CustomerId) -> CustomerDetail:
    logger.append_keys(customer_id=customer_id)
    return customer_admin_service().detail(customer_id)


@app.post("/admin/customers/<customer_id>/notes", status_code=201)
def add_note(customer_id: CustomerId, request: Annotated[NoteRequest, Body()]) -> Response[StaffNote]:
    logger.append_keys(customer_id=customer_id)
    note = customer_admin_service().add_note(customer_id, request.text, f"staff:{staff_id(app)}", caller_email(app))
    return Response(status_code=201, body=note, content_type="application/json")


def _set_enabled(customer_id: str, enabled: bool) -> AccountStatus:
    logger.append_keys(customer_id=customer_id)
    account = customer_admin_service().set_enabled(customer_id, enabled)
    metrics.add_metric(name="CustomersEnabled" if enabled else "CustomersDisabled", unit="Count", value=1)
    return AccountStatus(customer_id=customer_id, enabled=account.enabled)


@app.post("/admin/customers/<customer_id>/disable")
def disable(customer_id: CustomerId) -> AccountStatus:
    """The customer can no longer sign in or refresh; an ID token already issued lasts until it expires."""
    return _set_enabled(customer_id, enabled=False)


@app.post("/admin/customers/<customer_id>/enable")
def enable(customer_id: CustomerId) -> AccountStatus:
    return _set_enabled(customer_id, enabled=True)


handler = api_handler(app)
