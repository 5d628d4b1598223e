"""POST /auth/sign-up, /auth/confirm-sign-up, /auth/sign-in, /auth/refresh, /auth/forgot-password,
/auth/reset-password and /auth/sign-out.

Public routes over the Cognito customer pool's app client. Nothing here reveals whether an email
has an account, except sign-up's EMAIL_TAKEN; passwords, codes and tokens are never logged."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import logger, metrics
from commerce.common.sign_in import AuthRequest as Request
from commerce.common.sign_in import Code, Refresh, SignIn, Token
from commerce.customers.models import Email, Password, PersonName, Tokens
from commerce.wiring.customers import account_service

app = make_resolver()


class SignUp(Request):
    email: Email
    password: Password
    name: PersonName


class SignedUp(BaseModel):
    customer_id: str
    confirmation_required: bool = True


class ConfirmSignUp(Request):
    email: Email
    code: Code


class ForgotPassword(Request):
    email: Email


class ResetPassword(Request):
    email: Email
    code: Code
    new_password: Password


class SignOut(Request):
    access_token: Token


class Accepted(BaseModel):
    message: str


@app.post("/auth/sign-up", status_code=201)
def sign_up(request: Annotated[SignUp, Body()]) -> Response[SignedUp]:
    customer_id = account_service().sign_up(request.email, request.password, request.name)
    logger.info("customer signed up", extra={"customer_id": customer_id})
    metrics.add_metric(name="CustomerSignUps", unit="Count", value=1)
    return Response(status_code=201, body=SignedUp(customer_id=customer_id), content_type="application/json")


@app.post("/auth/confirm-sign-up", responses={204: {"description": "Done; no content", "content": {}}})
def confirm_sign_up(request: Annotated[ConfirmSignUp, Body()]) -> Response[None]:
    account_service().confirm_sign_up(request.email, request.code)
    metrics.add_metric(name="CustomerEmailsVerified", unit="Count", value=1)
    return Response(status_code=204)


@app.post("/auth/sign-in")
def sign_in(request: Annotated[SignIn, Body()]) -> Tokens:
    tokens = account_service().sign_in(request.email, request.password)
    metrics.add_metric(name="CustomerSignIns", unit="Count", value=1)
    return tokens


@app.post("/auth/refresh")
def refresh(request: Annotated[Refresh, Body()]) -> Tokens:
    return account_service().refresh(request.refresh_token)


@app.post("/auth/forgot-password", status_code=202)
def forgot_password(request: Annotated[ForgotPassword, Body()]) -> Response[Accepted]:
    account_service().forgot_password(request.email)
    body = Accepted(message="If an account exists for this email, a reset code is on its way.")
    return Response(status_code=202, body=body, content_type="application/json")


@app.post("/auth/reset-password", responses={204: {"description": "Done; no content", "content": {}}})
def reset_password(request: Annotated[ResetPassword, Body()]) -> Response[None]:
    account_service().reset_password(request.email, request.code, request.new_password)
    metrics.add_metric(name="CustomerPasswordResets", unit="Count", value=1)
    return Response(status_code=204)


@app.post("/auth/sign-out", responses={204: {"description": "Done; no content", "content": {}}})
def sign_out(request: Annotated[SignOut, Body()]) -> Response[None]:
    account_service().sign_out(request.access_token)
    return Response(status_code=204)


handler = api_handler(app)
