"""Staff use cases. Pure logic over the ports; no AWS here.

- ``StaffAuthService``: staff sign-in for the admin app (the staff pool), with the new-password step
  an invitation's temporary password leads to, and what the signed-in member's groups allow.
- ``StaffService``: admins list, invite, regroup, disable and enable staff accounts. Nobody can
  remove their own admin group or disable themselves, so the back office always keeps an admin.
- ``AuditBrowser``: the audit log by entity, by actor or by day, newest first.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
import string
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from commerce.audit import log as audit_log
from commerce.common.clock import iso
from commerce.customers.models import Tokens
from commerce.notifications.models import Email
from commerce.staff.errors import (
    CannotDisableSelf,
    CannotRemoveOwnAdmin,
    InvalidAuditQuery,
    StaffNotFound,
    UnknownGroup,
)
from commerce.staff.models import AuditPage, MfaSetup, StaffList, StaffMember, StaffProfile, StaffSession
from commerce.staff.permissions import StaffGroup, permissions_of
from commerce.staff.ports import AuditReader, Mailer, StaffDirectory, StaffIdentity

STAFF = "staff"  # the audit log's entity type for staff accounts


# ---- sessions -----------------------------------------------------------------------------------
def token_claims(id_token: str) -> dict[str, Any]:
    """The payload of an ID token Cognito has just issued to us (read, not verified: it came
    straight from Cognito over TLS; API Gateway verifies every token a caller sends)."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _claimed_groups(claims: dict[str, Any]) -> list[str]:
    raw = claims.get("cognito:groups") or []
    return sorted(str(group) for group in (raw if isinstance(raw, list) else [raw]))


def profile_of(sub: str, email: str | None, name: str | None, groups: Iterable[str]) -> StaffProfile:
    listed = sorted(set(groups))
    return StaffProfile(
        sub=sub, email=email, name=name, groups=listed, permissions=sorted(str(p) for p in permissions_of(listed))
    )


class StaffAuthService:
    def __init__(self, identity: StaffIdentity) -> None:
        self._identity = identity

    def sign_in(self, email: str, password: str) -> StaffSession:
        return _session(self._identity.sign_in(email, password))

    def refresh(self, refresh_token: str) -> StaffSession:
        return _session(self._identity.refresh(refresh_token))

    def complete_new_password(self, session: str, new_password: str) -> StaffSession:
        return _session(self._identity.complete_new_password(session, new_password))

    # ---- the second factor (TOTP): the staff pool requires it -------------------------------------
    def start_mfa_setup(self, session: str) -> MfaSetup:
        enrolment = self._identity.associate_totp(session)
        return MfaSetup(
            secret=enrolment.secret,
            otpauth_uri=otpauth_uri(enrolment.secret, enrolment.account),
            session=enrolment.session,
        )

    def verify_mfa_setup(self, session: str, code: str, device_name: str = "Authenticator") -> StaffSession:
        return _session(self._identity.verify_totp(session, code, device_name))

    def answer_mfa(self, session: str, code: str) -> StaffSession:
        return _session(self._identity.answer_totp(session, code))


TOTP_ISSUER = "Serverless Commerce back office"


def otpauth_uri(secret: str, account: str, issuer: str = TOTP_ISSUER) -> str:
    """The Key Uri Format authenticator apps read from a QR code: ``otpauth://totp/<issuer>:<account>
    ?secret=...&issuer=...`` (SHA-1, 6 digits, 30 s: the defaults, and what Cognito uses)."""
    label = quote(f"{issuer}:{account}" if account else issuer, safe=":@")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer}, quote_via=quote)


def _session(tokens: Tokens) -> StaffSession:
    groups = _claimed_groups(token_claims(tokens.id_token))
    return StaffSession(
        **tokens.model_dump(),
        groups=groups,
        permissions=sorted(str(p) for p in permissions_of(groups)),
    )


# ---- staff accounts -----------------------------------------------------------------------------
_ALPHABET = string.ascii_letters + string.digits


def temporary_password() -> str:
    """16 random letters and digits plus one of each class both pools' policies ask for."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(16)) + "Aa1!"


def invitation(email: str, name: str, password: str) -> Email:
    subject = "Your back-office account"
    text = (
        f"Hello {name},\n\n"
        "An account has been created for you in the shop's back office.\n\n"
        f"Email: {email}\n"
        f"Temporary password: {password}\n\n"
        "Sign in to the admin app with it; you will then choose your own password. "
        "The temporary password expires after a few days.\n"
    )
    safe = html.escape
    body = (
        f"<p>Hello {safe(name)},</p><p>An account has been created for you in the shop's back office.</p>"
        f"<p>Email: {safe(email)}<br>Temporary password: <code>{safe(password)}</code></p>"
        "<p>Sign in to the admin app with it; you will then choose your own password. "
        "The temporary password expires after a few days.</p>"
    )
    return Email(to=email, subject=subject, text=text, html=body, template="staff_invitation")


def _known(groups: Iterable[str]) -> list[str]:
    listed = sorted(set(groups))
    known = {str(group) for group in StaffGroup}
    unknown = [group for group in listed if group not in known]
    if unknown:
        raise UnknownGroup(f"No staff group named {', '.join(unknown)}.", groups=unknown, known=sorted(known))
    return listed


class StaffService:
    def __init__(
        self, directory: StaffDirectory, mailer: Mailer, password: Callable[[], str] = temporary_password
    ) -> None:
        self._directory = directory
        self._mailer = mailer
        self._password = password

    def members(self) -> StaffList:
        members = self._directory.members()
        return StaffList(staff=sorted(members, key=lambda m: ((m.email or "").lower(), m.username)))

    def invite(self, email: str, name: str, groups: list[str]) -> StaffMember:
        """The account, in its groups, and the invitation email with its temporary password. When
        the email cannot be sent the account is removed again, so the invitation can be retried."""
        wanted = _known(groups)
        password = self._password()
        created = self._directory.create(email, name, password)
        try:
            for group in wanted:
                self._directory.add_to_group(created.username, group)
            self._mailer.send(invitation(email, name, password))
        except Exception:
            self._directory.delete(created.username)
            raise
        member = self._member(created.username)
        audit_log.changed(STAFF, member.username, None, _audited(member))
        return member

    def set_groups(self, caller_sub: str, username: str, groups: list[str]) -> StaffMember:
        """Exactly these groups afterwards."""
        wanted = _known(groups)
        before = self._member(username)
        admin = str(StaffGroup.ADMIN)
        if before.sub == caller_sub and admin in before.groups and admin not in wanted:
            raise CannotRemoveOwnAdmin("You cannot remove your own admin group; ask another admin.")
        for group in sorted(set(wanted) - set(before.groups)):
            self._directory.add_to_group(username, group)
        for group in sorted(set(before.groups) - set(wanted)):
            self._directory.remove_from_group(username, group)
        after = self._member(username)
        audit_log.changed(STAFF, username, {"groups": before.groups}, {"groups": after.groups})
        return after

    def set_enabled(self, caller_sub: str, username: str, enabled: bool) -> StaffMember:
        """Idempotent. A disabled member cannot sign in and their refresh tokens are revoked (an ID
        token already issued stays valid until it expires, at most an hour)."""
        before = self._member(username)
        if not enabled and before.sub == caller_sub:
            raise CannotDisableSelf("You cannot disable your own account.")
        self._directory.set_enabled(username, enabled)
        after = before.model_copy(update={"enabled": enabled})
        audit_log.changed(STAFF, username, {"enabled": before.enabled}, {"enabled": after.enabled})
        return after

    def _member(self, username: str) -> StaffMember:
        member = self._directory.member(username)
        if member is None:
            raise StaffNotFound(f"No staff account {username!r}.", username=username)
        return member


def _audited(member: StaffMember) -> dict[str, Any]:
    return member.model_dump(include={"email", "name", "groups", "enabled", "status"})


# ---- the audit log ------------------------------------------------------------------------------
class AuditBrowser:
    def __init__(self, reader: AuditReader, today: Callable[[], str] = lambda: iso()[:10]) -> None:
        self._reader = reader
        self._today = today

    def browse(
        self,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        day: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AuditPage:
        """An entity's history, an actor's, or (neither given) a day's: today's unless ``day``."""
        if (entity_type is None) != (entity_id is None):
            raise InvalidAuditQuery("Name an entity with both entity_type and entity_id.")
        if entity_type is not None and actor is not None:
            raise InvalidAuditQuery("Browse one entity's history or one actor's, not both at once.")
        if day is not None:
            _check_day(day)
        if entity_type is not None and entity_id is not None:
            entries, next_cursor = self._reader.of_entity(entity_type, entity_id, day, limit, cursor)
        elif actor is not None:
            entries, next_cursor = self._reader.of_actor(actor, day, limit, cursor)
        else:
            entries, next_cursor = self._reader.of_day(day or self._today(), limit, cursor)
        return AuditPage(entries=entries, next_cursor=next_cursor)


def _check_day(day: str) -> None:
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InvalidAuditQuery(f"{day!r} is not a date (YYYY-MM-DD).", parameter="day") from None
