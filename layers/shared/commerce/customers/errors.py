"""Customer errors, each with a stable code (the API's problem+json ``code``)."""

from commerce.common.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthorized, Unprocessable


# ---- accounts -------------------------------------------------------------------------------------
class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"


class WeakPassword(Unprocessable):
    code = "WEAK_PASSWORD"


class InvalidSignUp(Unprocessable):
    code = "INVALID_SIGN_UP"


class InvalidCode(InvalidInput):
    code = "INVALID_CODE"


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"


class InvalidToken(Unauthorized):
    code = "INVALID_TOKEN"


class EmailNotVerified(DomainError):
    status, code, title = 403, "EMAIL_NOT_VERIFIED", "Email not verified"


class SignInChallenge(DomainError):
    status, code, title = 403, "CHALLENGE_NOT_SUPPORTED", "Sign-in needs another step"


class TooManyAttempts(DomainError):
    status, code, title = 429, "TOO_MANY_ATTEMPTS", "Too many attempts"


class UnknownAccount(Exception):
    """No account for that email. Internal only: the API never says so (no user enumeration)."""


# ---- profile and address book ---------------------------------------------------------------------
class AddressNotFound(NotFound):
    code = "ADDRESS_NOT_FOUND"


class AddressBookFull(Conflict):
    code = "ADDRESS_BOOK_FULL"


class ConcurrentChange(Conflict):
    """The address book changed between read and write; the use case re-reads and retries (and
    only surfaces this if it keeps happening)."""

    code = "CONCURRENT_CHANGE"


# ---- back office --------------------------------------------------------------------------------
class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"


class InvalidSearch(Unprocessable):
    code = "INVALID_SEARCH"


class InvalidCursor(Unprocessable):
    code = "INVALID_CURSOR"
