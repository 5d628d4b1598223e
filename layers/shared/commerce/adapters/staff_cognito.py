"""The staff user pool on Cognito.

- ``CognitoStaffIdentity``: sign-in, refresh (the customer pool's adapter, pointed at the staff app
  client, so both pools answer wrong passwords, unknown emails and disabled accounts alike) plus the
  challenges staff meet: NEW_PASSWORD_REQUIRED (an invitation's temporary password), MFA_SETUP (the
  pool requires a second factor: AssociateSoftwareToken, VerifySoftwareToken, then the challenge's
  answer) and SOFTWARE_TOKEN_MFA (the authenticator's code).
- ``CognitoStaffDirectory``: accounts and groups through the admin APIs (``cognito_admin``).

Each challenge is raised as a domain error carrying one opaque ``session`` for the client: Cognito's
session, the pool's username that answers it and the email the member signed in with (the label of
the authenticator entry).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from commerce.adapters.cognito_admin import CognitoUser, CognitoUserAdmin, UserExists, _every
from commerce.adapters.customers_cognito import CognitoIdentityProvider, _code, _idp, _message, _other
from commerce.customers.errors import WeakPassword
from commerce.customers.models import Tokens
from commerce.staff.errors import (
    InvalidMfaCode,
    InvalidSession,
    MfaRequired,
    MfaSetupRequired,
    NewPasswordRequired,
    StaffExists,
)
from commerce.staff.models import StaffMember, TotpEnrolment
from commerce.staff.permissions import StaffGroup

NEW_PASSWORD = "NEW_PASSWORD_REQUIRED"
MFA_SETUP = "MFA_SETUP"
TOTP = "SOFTWARE_TOKEN_MFA"
BAD_SESSION = "The sign-in session is not valid or has expired; sign in again."
BAD_CODE = "The code is not the one your authenticator app shows now; try the current code."
# Cognito's answers to a session it no longer accepts (moto: ResourceNotFound for an unknown one)
SESSION_ERRORS = frozenset(
    {"NotAuthorizedException", "ResourceNotFoundException", "UserNotFoundException", "InvalidParameterException"}
)
CODE_ERRORS = frozenset({"CodeMismatchException", "EnableSoftwareTokenMFAException", "ExpiredCodeException"})


class CognitoStaffIdentity(CognitoIdentityProvider):
    def _signed_in(self, result: dict[str, Any], email: str, username: str = "") -> Tokens:
        challenge = result.get("ChallengeName")
        if challenge not in (NEW_PASSWORD, MFA_SETUP, TOTP):
            return super()._signed_in(result, email)  # the tokens, or an unsupported challenge refused
        parameters = result.get("ChallengeParameters") or {}
        # the pool's own username (generated where users sign in by email alias) answers it
        username = str(parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or username or email)
        session = _wrap(str(result.get("Session", "")), username, email)
        if challenge == NEW_PASSWORD:
            raise NewPasswordRequired(
                "This is a temporary password: choose your own with POST /admin/auth/new-password.", session=session
            )
        if challenge == MFA_SETUP:
            raise MfaSetupRequired(
                "Staff accounts need an authenticator app: POST /admin/auth/mfa/setup, then "
                "/admin/auth/mfa/verify with its first code.",
                session=session,
            )
        raise MfaRequired("Enter the code your authenticator app shows: POST /admin/auth/mfa.", session=session)

    def complete_new_password(self, session: str, new_password: str) -> Tokens:
        def refused(error: ClientError) -> NoReturn:
            if _code(error) == "InvalidPasswordException":
                raise WeakPassword(_message(error, "The password does not meet the policy.")) from None
            _session_refused(error, {"CodeMismatchException", "ExpiredCodeException"})

        return self._answer(NEW_PASSWORD, session, {"NEW_PASSWORD": new_password}, refused)

    def associate_totp(self, session: str) -> TotpEnrolment:
        cognito_session, username, email = _unwrap(session)
        try:
            result = _idp().associate_software_token(Session=cognito_session)
        except ClientError as error:
            _session_refused(error)
        next_session = str(result.get("Session") or cognito_session)
        return TotpEnrolment(
            secret=str(result["SecretCode"]), session=_wrap(next_session, username, email), account=email or username
        )

    def verify_totp(self, session: str, code: str, device_name: str) -> Tokens:
        cognito_session, username, email = _unwrap(session)
        try:
            verified = _idp().verify_software_token(
                Session=cognito_session, UserCode=code, FriendlyDeviceName=device_name
            )
        except ClientError as error:
            if _code(error) in CODE_ERRORS:
                raise InvalidMfaCode(BAD_CODE, session=session) from None
            _session_refused(error)
        if verified.get("Status") != "SUCCESS":
            raise InvalidMfaCode(BAD_CODE, session=session)
        verified_session = _wrap(str(verified.get("Session") or cognito_session), username, email)
        return self._answer(MFA_SETUP, verified_session, {}, _session_refused)

    def answer_totp(self, session: str, code: str) -> Tokens:
        def refused(error: ClientError) -> NoReturn:
            if _code(error) in CODE_ERRORS:
                raise InvalidMfaCode(BAD_CODE, session=session) from None
            _session_refused(error)

        return self._answer(TOTP, session, {"SOFTWARE_TOKEN_MFA_CODE": code}, refused)

    def _answer(
        self, challenge: str, session: str, responses: dict[str, str], refused: Callable[[ClientError], NoReturn]
    ) -> Tokens:
        """RespondToAuthChallenge for the challenge ``session`` (ours, wrapped) was given; the tokens,
        or the next challenge raised; ``refused`` turns Cognito's errors into ours."""
        cognito_session, username, email = _unwrap(session)
        try:
            result = _idp().respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName=challenge,
                Session=cognito_session,
                ChallengeResponses={"USERNAME": username, **responses},
            )
        except ClientError as error:
            refused(error)
        return self._signed_in(result, email, username)


def _session_refused(error: ClientError, also: frozenset[str] | set[str] = frozenset()) -> NoReturn:
    """A session Cognito no longer accepts is INVALID_SESSION (sign in again); anything else as ever."""
    if _code(error) in SESSION_ERRORS | also:
        raise InvalidSession(BAD_SESSION) from None
    _other(error)


def _wrap(session: str, username: str, email: str = "") -> str:
    """One opaque string for the client: Cognito's session, the username that answers it, the email."""
    return base64.urlsafe_b64encode(json.dumps({"s": session, "u": username, "e": email}).encode()).decode()


def _unwrap(session: str) -> tuple[str, str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(session + "=" * (-len(session) % 4)))
        return str(data["s"]), str(data["u"]), str(data.get("e") or "")
    except (ValueError, binascii.Error, KeyError, TypeError, AttributeError):
        raise InvalidSession(BAD_SESSION) from None


class CognitoStaffDirectory:
    def __init__(self, pool_id: str) -> None:
        self._admin = CognitoUserAdmin(pool_id)

    def members(self) -> list[StaffMember]:
        """Every account, with its groups: one ListUsersInGroup per group, not a call per user."""
        groups: dict[str, list[str]] = {}
        for group in StaffGroup:
            for username in self._admin.members_of(str(group)):
                groups.setdefault(username, []).append(str(group))
        return [_member(user, groups.get(user.username, [])) for user in self._admin.users()]

    def member(self, username: str) -> StaffMember | None:
        user = self._admin.get(username)
        return _member(user, self._admin.groups_of(user.username)) if user else None

    def create(self, email: str, name: str, temporary_password: str) -> StaffMember:
        try:
            return _member(self._admin.create(email, name, temporary_password), [])
        except UserExists:
            raise StaffExists("A staff account with this email exists already.", email=email) from None

    def delete(self, username: str) -> None:
        self._admin.delete(username)

    def add_to_group(self, username: str, group: str) -> None:
        self._admin.add_to_group(username, group)

    def remove_from_group(self, username: str, group: str) -> None:
        self._admin.remove_from_group(username, group)

    def set_enabled(self, username: str, enabled: bool) -> None:
        self._admin.set_enabled(username, enabled)


class CognitoStaffRecipients:
    """Who staff alerts go to: the enabled members of some groups (ListUsersInGroup, one call a group
    and page; the function's only right on the pool)."""

    def __init__(self, pool_id: str) -> None:
        self._pool = pool_id

    def emails_of(self, groups: tuple[str, ...]) -> list[str]:
        emails: dict[str, None] = {}
        for group in groups:
            for user in _every(
                _idp().list_users_in_group, "Users", "NextToken", UserPoolId=self._pool, GroupName=group
            ):
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                if user.get("Enabled", True) and attributes.get("email"):
                    emails[str(attributes["email"]).lower()] = None
        return list(emails)


def _member(user: CognitoUser, groups: list[str]) -> StaffMember:
    return StaffMember(
        username=user.username,
        sub=user.sub,
        email=user.email,
        name=user.name,
        groups=sorted(groups),
        enabled=user.enabled,
        status=user.status,
        created_at=user.created_at,
    )
