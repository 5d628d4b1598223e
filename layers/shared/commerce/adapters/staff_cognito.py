"""The staff user pool on Cognito.

- ``CognitoStaffIdentity``: sign-in, refresh (the customer pool's adapter, pointed at the staff app
  client, so both pools answer wrong passwords, unknown emails and disabled accounts alike) plus
  the NEW_PASSWORD_REQUIRED step an invitation's temporary password leads to.
- ``CognitoStaffDirectory``: accounts and groups through the admin APIs (``cognito_admin``).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.cognito_admin import CognitoUser, CognitoUserAdmin, UserExists
from commerce.adapters.customers_cognito import CognitoIdentityProvider, _code, _idp, _message, _other
from commerce.customers.errors import WeakPassword
from commerce.customers.models import Tokens
from commerce.staff.errors import InvalidSession, NewPasswordRequired, StaffExists
from commerce.staff.models import StaffMember
from commerce.staff.permissions import StaffGroup

NEW_PASSWORD = "NEW_PASSWORD_REQUIRED"
BAD_SESSION = "The sign-in session is not valid or has expired; sign in again with the temporary password."


class CognitoStaffIdentity(CognitoIdentityProvider):
    def _signed_in(self, result: dict[str, Any]) -> Tokens:
        if result.get("ChallengeName") == NEW_PASSWORD:
            parameters = result.get("ChallengeParameters") or {}
            # the pool's own username (generated where users sign in by email alias) answers it
            username = str(parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or "")
            raise NewPasswordRequired(
                "This is a temporary password: choose your own with POST /admin/auth/new-password.",
                session=_wrap(str(result.get("Session", "")), username),
            )
        return super()._signed_in(result)

    def complete_new_password(self, session: str, new_password: str) -> Tokens:
        cognito_session, username = _unwrap(session)
        try:
            result = _idp().respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName=NEW_PASSWORD,
                Session=cognito_session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except ClientError as error:
            match _code(error):
                case "InvalidPasswordException":
                    raise WeakPassword(_message(error, "The password does not meet the policy.")) from None
                case (
                    "NotAuthorizedException"
                    | "CodeMismatchException"
                    | "ExpiredCodeException"
                    | "UserNotFoundException"
                    | "ResourceNotFoundException"
                    | "InvalidParameterException"
                ):
                    raise InvalidSession(BAD_SESSION) from None
            _other(error)
        return self._signed_in(result)


def _wrap(session: str, username: str) -> str:
    """One opaque string for the client: Cognito's session and the username that answers it."""
    return base64.urlsafe_b64encode(json.dumps({"s": session, "u": username}).encode()).decode()


def _unwrap(session: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(session + "=" * (-len(session) % 4)))
        return str(data["s"]), str(data["u"])
    except (ValueError, binascii.Error, KeyError, TypeError):
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
