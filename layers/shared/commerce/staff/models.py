"""Staff accounts (the Cognito staff pool), staff sessions and the audit log as staff browse it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from commerce.audit.models import AuditEntry
from commerce.customers.models import Email, PersonName
from commerce.staff.permissions import StaffGroup

GroupName = Annotated[str, StringConstraints(min_length=1, max_length=64)]  # checked against StaffGroup


def _distinct(groups: list[str]) -> list[str]:
    return sorted(set(groups))


# ---- staff accounts -----------------------------------------------------------------------------
class StaffMember(BaseModel):
    """A staff account as the back office shows it."""

    username: str = Field(description="The Cognito username: the id in /admin/staff/{username}")
    sub: str = Field(description="The Cognito subject (the audit log's actor is staff:<sub>)")
    email: str | None
    name: str | None
    groups: list[str] = Field(description="Staff groups, sorted")
    enabled: bool
    status: str = Field(description="Cognito's user status: CONFIRMED, FORCE_CHANGE_PASSWORD (invited), ...")
    created_at: str | None = None


class StaffList(BaseModel):
    staff: list[StaffMember] = Field(description="Every staff account, by email")


class InviteStaff(BaseModel):
    """POST /admin/staff: an account with a temporary password, emailed to the new staff member."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    email: Email
    name: PersonName
    groups: list[GroupName] = Field(min_length=1, max_length=len(StaffGroup))

    _groups = field_validator("groups")(_distinct)


class SetGroups(BaseModel):
    """PUT /admin/staff/{username}/groups: exactly these groups afterwards (an empty list is allowed)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    groups: list[GroupName] = Field(max_length=len(StaffGroup))

    _groups = field_validator("groups")(_distinct)


# ---- sessions -----------------------------------------------------------------------------------
class StaffSession(BaseModel):
    """A signed-in staff member: the tokens and what their groups allow (the admin app hides the
    rest; the API enforces it on every route)."""

    id_token: str = Field(description="Send as the Authorization header to /admin routes")
    access_token: str
    refresh_token: str | None = Field(default=None, description="For /admin/auth/refresh; absent on a refresh")
    expires_in: int = Field(description="Seconds until the ID and access tokens expire")
    token_type: str = "Bearer"
    groups: list[str]
    permissions: list[str]


class TotpEnrolment(BaseModel):
    """What the staff pool answers when a member starts setting up an authenticator app."""

    model_config = ConfigDict(frozen=True)

    secret: str
    session: str
    account: str = Field(description="Who the authenticator app should show the code for (the email)")


class MfaSetup(BaseModel):
    """POST /admin/auth/mfa/setup: the TOTP secret to put in an authenticator app (typed, or as the
    ``otpauth://`` URI a QR code carries), and the session to verify the first code with."""

    secret: str = Field(description="Base32 TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s)")
    otpauth_uri: str = Field(description="otpauth://totp/... for a QR code")
    session: str = Field(description="For POST /admin/auth/mfa/verify")


class StaffProfile(BaseModel):
    """GET /admin/me: the signed-in staff member, from the verified token."""

    sub: str
    email: str | None
    name: str | None
    groups: list[str]
    permissions: list[str]


# ---- the audit log ------------------------------------------------------------------------------
class AuditPage(BaseModel):
    entries: list[AuditEntry] = Field(description="Newest first; before and after as objects")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null at the end")
