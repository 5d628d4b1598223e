"""The Cognito adapter turns each Cognito error into the domain error the API promises (codes that
moto cannot produce included, e.g. CodeMismatchException or a weak password on reset).
Cognito itself is stubbed (botocore Stubber): no network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from commerce.adapters import customers_cognito
from commerce.adapters.customers_cognito import BAD_CREDENTIALS, CognitoIdentityProvider
from commerce.common.errors import DomainError
from commerce.customers.errors import (
    EmailNotVerified,
    EmailTaken,
    InvalidCode,
    InvalidCredentials,
    InvalidSignUp,
    InvalidToken,
    SignInChallenge,
    TooManyAttempts,
    UnknownAccount,
    WeakPassword,
)

CLIENT_ID = "app-client"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    idp = boto3.client("cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(customers_cognito, "client", lambda service: idp)
    with Stubber(idp) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def provider() -> CognitoIdentityProvider:
    return CognitoIdentityProvider(CLIENT_ID)


def fails(stub: Stubber, method: str, code: str, message: str = "from Cognito") -> None:
    stub.add_client_error(method, service_error_code=code, service_message=message, http_status_code=400)


SIGN_UP = ("sign_up", ("a@example.com", "Pw-123456", "A"))
CONFIRM = ("confirm_sign_up", ("a@example.com", "123456"))
SIGN_IN = ("sign_in", ("a@example.com", "Pw-123456"))
REFRESH = ("refresh", ("refresh-token",))
FORGOT = ("forgot_password", ("a@example.com",))
RESET = ("reset_password", ("a@example.com", "123456", "Pw-123456"))
SIGN_OUT = ("sign_out", ("access-token",))

OPERATION = {
    "sign_up": "sign_up",
    "confirm_sign_up": "confirm_sign_up",
    "sign_in": "initiate_auth",
    "refresh": "initiate_auth",
    "forgot_password": "forgot_password",
    "reset_password": "confirm_forgot_password",
    "sign_out": "global_sign_out",
}


@pytest.mark.parametrize(
    ("call", "cognito_code", "expected"),
    [
        (SIGN_UP, "UsernameExistsException", EmailTaken),
        (SIGN_UP, "InvalidPasswordException", WeakPassword),
        (SIGN_UP, "InvalidParameterException", InvalidSignUp),
        (SIGN_UP, "TooManyRequestsException", TooManyAttempts),
        (CONFIRM, "CodeMismatchException", InvalidCode),
        (CONFIRM, "ExpiredCodeException", InvalidCode),
        (CONFIRM, "UserNotFoundException", UnknownAccount),
        (SIGN_IN, "NotAuthorizedException", InvalidCredentials),
        (SIGN_IN, "UserNotFoundException", InvalidCredentials),
        (SIGN_IN, "UserNotConfirmedException", EmailNotVerified),
        (SIGN_IN, "TooManyFailedAttemptsException", TooManyAttempts),
        (REFRESH, "NotAuthorizedException", InvalidToken),
        (FORGOT, "UserNotFoundException", UnknownAccount),
        (FORGOT, "InvalidParameterException", UnknownAccount),  # no verified email
        (FORGOT, "LimitExceededException", TooManyAttempts),
        (RESET, "CodeMismatchException", InvalidCode),
        (RESET, "ExpiredCodeException", InvalidCode),
        (RESET, "InvalidPasswordException", WeakPassword),
        (RESET, "UserNotFoundException", UnknownAccount),
        (SIGN_OUT, "NotAuthorizedException", InvalidToken),
    ],
)
def test_cognito_errors_become_domain_errors(stub, provider, call, cognito_code, expected):
    method, args = call
    fails(stub, OPERATION[method], cognito_code)
    with pytest.raises(expected):
        getattr(provider, method)(*args)


def test_the_password_policy_message_reaches_the_customer(stub, provider):
    fails(stub, "sign_up", "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
    with pytest.raises(WeakPassword) as raised:
        provider.sign_up("a@example.com", "short", "A")
    assert raised.value.detail == "Password did not conform with policy: Password not long enough"
    assert (raised.value.status, raised.value.code) == (422, "WEAK_PASSWORD")


def test_a_wrong_password_and_an_unknown_user_read_the_same(stub, provider):
    details = []
    for code, message in (
        ("NotAuthorizedException", "Incorrect username or password."),
        ("UserNotFoundException", "User does not exist."),
    ):
        fails(stub, "initiate_auth", code, message)
        with pytest.raises(InvalidCredentials) as raised:
            provider.sign_in("a@example.com", "Pw-123456")
        details.append((raised.value.status, raised.value.code, raised.value.detail))
    assert details[0] == details[1] == (401, "INVALID_CREDENTIALS", BAD_CREDENTIALS)


def test_unexpected_cognito_errors_are_not_disguised(stub, provider):
    fails(stub, "sign_up", "InternalErrorException")
    with pytest.raises(Exception) as raised:
        provider.sign_up("a@example.com", "Pw-123456", "A")
    assert not isinstance(raised.value, DomainError)


def test_sign_in_uses_the_password_flow_and_returns_the_tokens(stub, provider):
    expected: dict[str, Any] = {
        "ClientId": CLIENT_ID,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "a@example.com", "PASSWORD": "Pw-123456"},
    }
    result = {
        "IdToken": "id",
        "AccessToken": "access",
        "RefreshToken": "refresh",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }
    stub.add_response("initiate_auth", {"AuthenticationResult": result}, expected)
    tokens = provider.sign_in("a@example.com", "Pw-123456")
    assert (tokens.id_token, tokens.access_token, tokens.refresh_token, tokens.expires_in) == (
        "id",
        "access",
        "refresh",
        3600,
    )


def test_a_sign_in_challenge_is_not_offered(stub, provider):
    stub.add_response("initiate_auth", {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s" * 20})
    with pytest.raises(SignInChallenge):
        provider.sign_in("a@example.com", "Pw-123456")


def test_sign_up_sends_email_and_name_and_returns_the_subject(stub, provider):
    expected = {
        "ClientId": CLIENT_ID,
        "Username": "a@example.com",
        "Password": "Pw-123456",
        "UserAttributes": [{"Name": "email", "Value": "a@example.com"}, {"Name": "name", "Value": "A"}],
    }
    stub.add_response("sign_up", {"UserConfirmed": False, "UserSub": "sub-1"}, expected)
    assert provider.sign_up("a@example.com", "Pw-123456", "A") == "sub-1"
