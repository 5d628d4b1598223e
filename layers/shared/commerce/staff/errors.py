"""Staff errors, each with a stable code (the API's problem+json ``code``)."""

from commerce.common.errors import Conflict, DomainError, NotFound, Unauthorized, Unprocessable


class NewPasswordRequired(DomainError):
    """The password was right and is temporary (an invitation): choose a new one with the session
    (POST /admin/auth/new-password)."""

    status, code, title = 403, "NEW_PASSWORD_REQUIRED", "Choose a new password"


class InvalidSession(Unauthorized):
    code = "INVALID_SESSION"


class MfaSetupRequired(DomainError):
    """The password was right and the staff pool requires a second factor the member has not set up
    yet: POST /admin/auth/mfa/setup with the session, then /admin/auth/mfa/verify with a code."""

    status, code, title = 403, "MFA_SETUP_REQUIRED", "Set up your authenticator app"


class MfaRequired(DomainError):
    """The password was right: now the code from the member's authenticator app (POST /admin/auth/mfa)."""

    status, code, title = 403, "MFA_REQUIRED", "Enter your authenticator code"


class InvalidMfaCode(Unauthorized):
    """The authenticator code is wrong or out of date; the answer carries the session to try again."""

    code = "INVALID_MFA_CODE"


class UnknownGroup(Unprocessable):
    code = "UNKNOWN_GROUP"


class StaffNotFound(NotFound):
    code = "STAFF_NOT_FOUND"


class StaffExists(Conflict):
    code = "STAFF_EXISTS"


class CannotRemoveOwnAdmin(Conflict):
    code = "CANNOT_REMOVE_OWN_ADMIN"


class CannotDisableSelf(Conflict):
    code = "CANNOT_DISABLE_SELF"


class InvalidAuditQuery(Unprocessable):
    code = "INVALID_AUDIT_QUERY"


class InvalidCursor(Unprocessable):
    code = "INVALID_CURSOR"
