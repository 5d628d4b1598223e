"""POST /admin/auth/sign-in, /admin/auth/refresh and /admin/auth/new-password (public: the staff
pool's app client) and GET /admin/me (any staff member: VIEW_PROFILE, which every group grants).

Sign-in answers a wrong password, an unknown email and a disabled account alike (401
INVALID_CREDENTIALS). An invited member's first sign-in, with the emailed temporary password,
answers 403 NEW_PASSWORD_REQUIRED with a ``session``; /admin/auth/new-password completes it.
Passwords, sessions and tokens are never logged."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from commerce.common.api import api_handler, caller_email, make_resolver, staff_groups, staff_id
from commerce.common.observability import metrics
from commerce.customers.models import Email, Password
from commerce.staff.models import StaffProfile, StaffSession
from commerce.staff.service import profile_of
from commerce.wiring.staff import staff_auth_service

app = make_resolver()

Token = Annotated[str, Field(min_length=1, max_length=8192)]


class _StaffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class StaffSignIn(_StaffRequest):
    email: Email
    password: Password


class StaffRefresh(_StaffRequest):
    refresh_token: Token


class StaffNewPassword(_StaffRequest):
    session: Token = Field(description="From the NEW_PASSWORD_REQUIRED answer of /admin/auth/sign-in")
    new_password: Password


@app.post("/admin/auth/sign-in")
def sign_in(request: Annotated[StaffSignIn, Body()]) -> StaffSession:
    session = staff_auth_service().sign_in(request.email, request.password)
    metrics.add_metric(name="StaffSignIns", unit="Count", value=1)
    return session


@app.post("/admin/auth/refresh")
def refresh(request: Annotated[StaffRefresh, Body()]) -> StaffSession:
    return staff_auth_service().refresh(request.refresh_token)


@app.post("/admin/auth/new-password")
def new_password(request: Annotated[StaffNewPassword, Body()]) -> StaffSession:
    session = staff_auth_service().complete_new_password(request.session, request.new_password)
    metrics.add_metric(name="StaffSignIns", unit="Count", value=1)
    return session


@app.get("/admin/me")
def me() -> StaffProfile:
    name = app.current_event.request_context.authorizer.claims.get("name")
    return profile_of(staff_id(app), caller_email(app), str(name) if name else None, staff_groups(app))


# The topology declares these PUBLIC: no token, so no permission (commerce.common.api.authorise_staff).
PUBLIC_ROUTES = frozenset({"POST /admin/auth/sign-in", "POST /admin/auth/refresh", "POST /admin/auth/new-password"})
handler = api_handler(app, public_routes=PUBLIC_ROUTES)
