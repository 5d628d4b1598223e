"""POST /admin/auth/sign-in, /refresh, /new-password, /mfa/setup, /mfa/verify and /mfa (public: the
staff pool's app client) and GET /admin/me (any staff member: VIEW_PROFILE, which every group grants).

Sign-in answers a wrong password, an unknown email and a disabled account alike (401
INVALID_CREDENTIALS). A right password may answer a further step, 403 with a ``session`` to take it
with: NEW_PASSWORD_REQUIRED (an invitation's temporary password: /admin/auth/new-password),
MFA_SETUP_REQUIRED (the staff pool requires an authenticator app: /admin/auth/mfa/setup gives its
secret, /admin/auth/mfa/verify checks its first code and signs in) and MFA_REQUIRED (the
authenticator's code: /admin/auth/mfa). A wrong code answers 401 INVALID_MFA_CODE with the session
to try again. Passwords, secrets, codes, sessions and tokens are never logged."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import Field

from commerce.common.api import api_handler, caller_email, make_resolver, staff_groups, staff_id
from commerce.common.observability import metrics
from commerce.common.sign_in import AuthRequest, Refresh, SignIn, Token, TotpCode
from commerce.customers.models import Password
from commerce.staff.models import MfaSetup, StaffProfile, StaffSession
from commerce.staff.service import profile_of
from commerce.wiring.staff import staff_auth_service

app = make_resolver()

Session = Annotated[Token, Field(description="From the 403 answer that asked for this step")]


class StaffNewPassword(AuthRequest):
    session: Session
    new_password: Password


class StaffMfaSession(AuthRequest):
    session: Session


class StaffMfaVerify(AuthRequest):
    session: Session = Field(description="From POST /admin/auth/mfa/setup")
    code: TotpCode
    device_name: Annotated[str, Field(min_length=1, max_length=64)] = "Authenticator"


class StaffMfaCode(AuthRequest):
    session: Session = Field(description="From the MFA_REQUIRED answer of /admin/auth/sign-in")
    code: TotpCode


def _signed_in(session: StaffSession) -> StaffSession:
    metrics.add_metric(name="StaffSignIns", unit="Count", value=1)
    return session


@app.post("/admin/auth/sign-in")
def sign_in(request: Annotated[SignIn, Body()]) -> StaffSession:
    return _signed_in(staff_auth_service().sign_in(request.email, request.password))


@app.post("/admin/auth/refresh")
def refresh(request: Annotated[Refresh, Body()]) -> StaffSession:
    return staff_auth_service().refresh(request.refresh_token)


@app.post("/admin/auth/new-password")
def new_password(request: Annotated[StaffNewPassword, Body()]) -> StaffSession:
    return _signed_in(staff_auth_service().complete_new_password(request.session, request.new_password))


@app.post("/admin/auth/mfa/setup")
def mfa_setup(request: Annotated[StaffMfaSession, Body()]) -> MfaSetup:
    return staff_auth_service().start_mfa_setup(request.session)


@app.post("/admin/auth/mfa/verify")
def mfa_verify(request: Annotated[StaffMfaVerify, Body()]) -> StaffSession:
    session = staff_auth_service().verify_mfa_setup(request.session, request.code, request.device_name)
    metrics.add_metric(name="StaffMfaEnrolments", unit="Count", value=1)
    return _signed_in(session)


@app.post("/admin/auth/mfa")
def mfa(request: Annotated[StaffMfaCode, Body()]) -> StaffSession:
    return _signed_in(staff_auth_service().answer_mfa(request.session, request.code))


@app.get("/admin/me")
def me() -> StaffProfile:
    name = app.current_event.request_context.authorizer.claims.get("name")
    return profile_of(staff_id(app), caller_email(app), str(name) if name else None, staff_groups(app))


# The topology declares these PUBLIC: no token, so no permission (commerce.common.api.authorise_staff).
PUBLIC_ROUTES = frozenset(
    {
        "POST /admin/auth/sign-in",
        "POST /admin/auth/refresh",
        "POST /admin/auth/new-password",
        "POST /admin/auth/mfa/setup",
        "POST /admin/auth/mfa/verify",
        "POST /admin/auth/mfa",
    }
)
handler = api_handler(app, public_routes=PUBLIC_ROUTES)
