"""The customer user pool on Cognito, through its public app-client APIs (no Admin* calls, so the
function needs no IAM permissions on the pool). Cognito's error codes become domain errors here.

The username is the (lower-cased) email; the customer id is the user's ``sub``."""

from __future__ import annotations

from typing import Any, NoReturn

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
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
from commerce.customers.models import Tokens

# One message for a wrong password and an unknown email: no user enumeration.
BAD_CREDENTIALS = "The email or password is not correct."
BAD_CODE = "The code is not valid for this email, or it has expired."
THROTTLED = {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}


class CognitoIdentityProvider:
    def __init__(self, client_id: str) -> None:
        self._client_id = client_id

    def sign_up(self, email: str, password: str, name: str) -> str:
        try:
            result = _idp().sign_up(
                ClientId=self._client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}],
            )
        except ClientError as error:
            match _code(error):
                case "UsernameExistsException":
                    raise EmailTaken("An account with this email exists already.") from None
                case "InvalidPasswordException":
                    raise WeakPassword(_message(error, "The password does not meet the policy.")) from None
                case "InvalidParameterException":
                    raise InvalidSignUp(_message(error, "The sign-up details are not valid.")) from None
            _other(error)
        return str(result["UserSub"])

    def confirm_sign_up(self, email: str, code: str) -> None:
        try:
            _idp().confirm_sign_up(ClientId=self._client_id, Username=email, ConfirmationCode=code)
        except ClientError as error:
            match _code(error):
                case "CodeMismatchException" | "ExpiredCodeException" | "NotAuthorizedException":
                    raise InvalidCode(BAD_CODE) from None
                case "UserNotFoundException":
                    raise UnknownAccount() from None
            _other(error)

    def sign_in(self, email: str, password: str) -> Tokens:
        try:
            result = _idp().initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except ClientError as error:
            match _code(error):
                case "NotAuthorizedException" | "UserNotFoundException":
                    raise InvalidCredentials(BAD_CREDENTIALS) from None
                case "UserNotConfirmedException":
                    raise EmailNotVerified("Confirm your email with the code we sent before signing in.") from None
            _other(error)
        return self._signed_in(result, email)

    def _signed_in(self, result: dict[str, Any], email: str) -> Tokens:
        """The tokens of a completed sign-in by ``email``. Any challenge (MFA, a new password) is
        refused here; the staff pool's adapter (staff_cognito.py) answers those staff meet."""
        return _tokens(result)

    def refresh(self, refresh_token: str) -> Tokens:
        try:
            result = _idp().initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except ClientError as error:
            if _code(error) in {"NotAuthorizedException", "UserNotFoundException", "ResourceNotFoundException"}:
                raise InvalidToken("The refresh token is not valid or has been revoked.") from None
            _other(error)
        return _tokens(result)

    def forgot_password(self, email: str) -> None:
        try:
            _idp().forgot_password(ClientId=self._client_id, Username=email)
        except ClientError as error:
            # unknown, unconfirmed or unverified accounts: the caller must not learn which
            if _code(error) in {"UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"}:
                raise UnknownAccount() from None
            _other(error)

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        try:
            _idp().confirm_forgot_password(
                ClientId=self._client_id, Username=email, ConfirmationCode=code, Password=new_password
            )
        except ClientError as error:
            match _code(error):
                case "CodeMismatchException" | "ExpiredCodeException" | "NotAuthorizedException":
                    raise InvalidCode(BAD_CODE) from None
                case "InvalidPasswordException":
                    raise WeakPassword(_message(error, "The password does not meet the policy.")) from None
                # moto answers an unknown username with ResourceNotFoundException; Cognito with
                # UserNotFoundException. Neither may reveal that the account does not exist.
                case "UserNotFoundException" | "ResourceNotFoundException":
                    raise UnknownAccount() from None
            _other(error)

    def sign_out(self, access_token: str) -> None:
        try:
            _idp().global_sign_out(AccessToken=access_token)
        except ClientError as error:
            if _code(error) == "NotAuthorizedException":
                raise InvalidToken("The access token is not valid or has expired.") from None
            _other(error)


def _idp() -> Any:
    return client("cognito-idp")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError, fallback: str) -> str:
    return str(error.response.get("Error", {}).get("Message") or fallback)


def _other(error: ClientError) -> NoReturn:
    if _code(error) in THROTTLED:
        raise TooManyAttempts("Too many attempts; wait a little and try again.") from None
    raise error


def _tokens(result: dict[str, Any]) -> Tokens:
    auth = result.get("AuthenticationResult")
    if not auth:
        # MFA or a forced password change: not offered to customers of this pool
        raise SignInChallenge("This account needs a sign-in step the shop does not support.")
    return Tokens(
        id_token=auth["IdToken"],
        access_token=auth["AccessToken"],
        refresh_token=auth.get("RefreshToken"),
        expires_in=int(auth.get("ExpiresIn", 3600)),
        token_type=auth.get("TokenType", "Bearer"),
    )
