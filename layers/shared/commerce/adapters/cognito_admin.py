"""A Cognito user pool through its admin APIs (Admin*, ListUsers, ...): what the back office does
to staff accounts and customer accounts. Needs IAM rights on the pool (``Function.user_pools``).

On AWS the pools sign in by email alias (the CDK's ``sign_in_aliases``), so a user's ``Username``
is generated; locally (moto) it is the email. Callers treat it as an opaque id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.customers_cognito import _code
from commerce.common.clock import iso

PAGE = 60  # ListUsers' maximum


class UserExists(Exception):
    pass


@dataclass(frozen=True)
class CognitoUser:
    username: str
    sub: str
    email: str | None
    name: str | None
    enabled: bool
    status: str
    created_at: str | None


class CognitoUserAdmin:
    def __init__(self, pool_id: str) -> None:
        self._pool = pool_id

    # ---- reading ----------------------------------------------------------------------------------
    def users(self) -> list[CognitoUser]:
        return [
            _user(raw, raw.get("Attributes", []))
            for raw in _every(_idp().list_users, "Users", "PaginationToken", UserPoolId=self._pool)
        ]

    def get(self, username: str) -> CognitoUser | None:
        try:
            raw = _idp().admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                return None
            raise
        return _user(raw, raw.get("UserAttributes", []))

    def by_sub(self, sub: str) -> CognitoUser | None:
        escaped = sub.replace("\\", "\\\\").replace('"', '\\"')
        users = _every(
            _idp().list_users, "Users", "PaginationToken", UserPoolId=self._pool, Filter=f'sub = "{escaped}"'
        )
        return _user(users[0], users[0].get("Attributes", [])) if users else None

    def groups_of(self, username: str) -> list[str]:
        groups = _every(
            _idp().admin_list_groups_for_user, "Groups", "NextToken", UserPoolId=self._pool, Username=username
        )
        return sorted(str(group["GroupName"]) for group in groups)

    def members_of(self, group: str) -> list[str]:
        """The usernames in a group."""
        users = _every(_idp().list_users_in_group, "Users", "NextToken", UserPoolId=self._pool, GroupName=group)
        return [str(user["Username"]) for user in users]

    # ---- changing ---------------------------------------------------------------------------------
    def create(self, email: str, name: str, temporary_password: str) -> CognitoUser:
        """A user who must choose a new password at first sign-in. Cognito sends nothing
        (``SUPPRESS``): the caller emails the invitation. UserExists if the email is taken."""
        try:
            raw = _idp().admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                TemporaryPassword=temporary_password,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                ],
            )["User"]
        except ClientError as error:
            if _code(error) in {"UsernameExistsException", "AliasExistsException"}:
                raise UserExists(email) from None
            raise
        return _user(raw, raw.get("Attributes", []))

    def delete(self, username: str) -> None:
        _idp().admin_delete_user(UserPoolId=self._pool, Username=username)

    def add_to_group(self, username: str, group: str) -> None:
        _idp().admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=group)

    def remove_from_group(self, username: str, group: str) -> None:
        _idp().admin_remove_user_from_group(UserPoolId=self._pool, Username=username, GroupName=group)

    def set_enabled(self, username: str, enabled: bool) -> None:
        """Disabling also signs the user out everywhere: their refresh tokens stop working."""
        if enabled:
            _idp().admin_enable_user(UserPoolId=self._pool, Username=username)
            return
        _idp().admin_disable_user(UserPoolId=self._pool, Username=username)
        _idp().admin_user_global_sign_out(UserPoolId=self._pool, Username=username)


def _idp() -> Any:
    return client("cognito-idp")


def _every(call: Callable[..., dict[str, Any]], items: str, token: str, **request: Any) -> list[dict[str, Any]]:
    """Every item of a paginated Cognito listing (pages of ``PAGE``)."""
    found: list[dict[str, Any]] = []
    request["Limit"] = PAGE
    while True:
        page = call(**request)
        found += page.get(items, [])
        if not page.get(token):
            return found
        request[token] = page[token]


def _user(raw: dict[str, Any], attributes: list[dict[str, str]]) -> CognitoUser:
    attrs = {a["Name"]: a.get("Value") for a in attributes}
    created = raw.get("UserCreateDate")
    return CognitoUser(
        username=str(raw["Username"]),
        sub=str(attrs.get("sub") or raw["Username"]),
        email=attrs.get("email"),
        name=attrs.get("name"),
        enabled=bool(raw.get("Enabled", True)),
        status=str(raw.get("UserStatus", "UNKNOWN")),
        created_at=iso(created) if isinstance(created, datetime) else None,
    )
