"""What the staff context needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from typing import Protocol

from commerce.audit.models import AuditEntry
from commerce.customers.models import Tokens
from commerce.notifications.models import Email
from commerce.staff.models import StaffMember, TotpEnrolment


class StaffIdentity(Protocol):
    """The staff pool's app client. Wrong password, unknown email and disabled account all raise
    the same ``InvalidCredentials`` (no user enumeration)."""

    def sign_in(self, email: str, password: str) -> Tokens:
        """Raises ``NewPasswordRequired`` (with the challenge's ``session``) after a right temporary
        password."""
        ...

    def refresh(self, refresh_token: str) -> Tokens: ...

    def complete_new_password(self, session: str, new_password: str) -> Tokens:
        """Answers the NEW_PASSWORD_REQUIRED challenge of ``session``; ``InvalidSession`` when it is
        not valid (any more)."""
        ...

    # Every step that may answer a further challenge raises it (``NewPasswordRequired``,
    # ``MfaSetupRequired``, ``MfaRequired``, each with the session to answer it with).
    def associate_totp(self, session: str) -> TotpEnrolment:
        """Starts the MFA_SETUP challenge of ``session``: a new TOTP secret for the member."""
        ...

    def verify_totp(self, session: str, code: str, device_name: str) -> Tokens:
        """Checks the first code of the secret ``associate_totp`` gave, then completes the sign-in.
        ``InvalidMfaCode`` (with the session to try again) for a wrong code."""
        ...

    def answer_totp(self, session: str, code: str) -> Tokens:
        """Answers the SOFTWARE_TOKEN_MFA challenge of ``session`` with the authenticator's code."""
        ...


class StaffDirectory(Protocol):
    """The staff pool's accounts and their groups (Cognito's admin APIs)."""

    def members(self) -> list[StaffMember]:
        """Every account, with its groups."""
        ...

    def member(self, username: str) -> StaffMember | None: ...

    def create(self, email: str, name: str, temporary_password: str) -> StaffMember:
        """An account that must choose a new password at first sign-in; nothing is emailed (the
        service sends the invitation). ``StaffExists`` when the email has an account."""
        ...

    def delete(self, username: str) -> None: ...

    def add_to_group(self, username: str, group: str) -> None: ...

    def remove_from_group(self, username: str, group: str) -> None: ...

    def set_enabled(self, username: str, enabled: bool) -> None:
        """Disabling also revokes the account's refresh tokens (signed out everywhere)."""
        ...


class Mailer(Protocol):
    def send(self, email: Email) -> str: ...


class AuditReader(Protocol):
    """The audit log, newest first, in pages of ``limit`` with an opaque keyset ``cursor``. ``day``
    (YYYY-MM-DD) narrows an entity's or an actor's history to that day."""

    def of_entity(
        self, entity_type: str, entity_id: str, day: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEntry], str | None]: ...

    def of_actor(
        self, actor: str, day: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEntry], str | None]: ...

    def of_day(self, day: str, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]: ...
