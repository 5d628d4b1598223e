"""Staff accounts (permission MANAGE_STAFF): GET /admin/staff, POST /admin/staff (invite),
PUT /admin/staff/{username}/groups, POST /admin/staff/{username}/disable and /enable.

An invitation creates the account in the staff pool with a temporary password and emails it (SES);
the first sign-in asks for a new one. Nobody can remove their own admin group or disable themselves
(409). Each change is audited with the groups or the enabled flag before and after."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.staff.models import InviteStaff, SetGroups, StaffList, StaffMember
from commerce.wiring.staff import staff_service

app = make_resolver()

# Cognito usernames: the email locally, a generated id where the pool signs in by email alias.
Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9@._+-]{1,128}$")]


@app.get("/admin/staff")
def list_staff() -> StaffList:
    return staff_service().members()


@app.post("/admin/staff", status_code=201)
def invite(request: Annotated[InviteStaff, Body()]) -> Response[StaffMember]:
    """201: the account exists, in its groups; the temporary password went to its email."""
    member = staff_service().invite(request.email, request.name, request.groups)
    logger.info("staff invited", extra={"groups": member.groups})  # not the username: the email, locally
    metrics.add_metric(name="StaffInvited", unit="Count", value=1)
    return Response(status_code=201, body=member, content_type="application/json")


@app.put("/admin/staff/<username>/groups")
def set_groups(username: Username, request: Annotated[SetGroups, Body()]) -> StaffMember:
    """Exactly these groups afterwards. Tokens already issued keep their groups until refreshed."""
    return staff_service().set_groups(staff_id(app), username, request.groups)


@app.post("/admin/staff/<username>/disable")
def disable(username: Username) -> StaffMember:
    """The member can no longer sign in or refresh; an ID token already issued lasts until it expires."""
    return staff_service().set_enabled(staff_id(app), username, enabled=False)


@app.post("/admin/staff/<username>/enable")
def enable(username: Username) -> StaffMember:
    return staff_service().set_enabled(staff_id(app), username, enabled=True)


handler = api_handler(app)
