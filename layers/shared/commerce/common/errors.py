"""Domain errors. Each carries a stable machine-readable ``code`` and the HTTP status it maps to;
the resolver turns them into RFC 9457 problem+json responses in one place."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(DomainError):
    status, code, title = 400, "INVALID_INPUT", "The request is not valid"


class Unauthorized(DomainError):
    status, code, title = 401, "UNAUTHORIZED", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "FORBIDDEN", "Not allowed"


class NotFound(DomainError):
    status, code, title = 404, "NOT_FOUND", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "CONFLICT", "Conflict with the current state"


class Unprocessable(DomainError):
    status, code, title = 422, "UNPROCESSABLE", "The request cannot be processed"


class TemporarilyUnavailable(DomainError):
    """A dependency throttled us or is briefly out (DynamoDB throttling past the SDK's retries, a
    transaction cancelled for throughput). Nothing was changed: the caller retries after
    ``retry_after`` seconds (HTTP: 503 with ``Retry-After``; workflow tasks: the ASL Retry names
    this class; queue consumers: the message is redelivered)."""

    status, code, title = 503, "TEMPORARILY_UNAVAILABLE", "Temporarily unavailable"
    retry_after: ClassVar[int] = 1


# Error codes AWS answers when a request was throttled (the SDK retries them, then raises them).
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)
# A transaction is cancelled with one of these reasons when an item's table or partition was
# throttled (DynamoDB TransactWriteItems, CancellationReasons[].Code); the SDK does not retry it.
THROTTLED_CANCELLATIONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


def is_throttling(error: BaseException) -> bool:
    """Whether an AWS client error (duck-typed: ``error.response``) says the request was throttled
    and nothing was written: a throttling code, or a transaction cancelled for throughput and for
    no failed condition."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = (response.get("Error") or {}).get("Code")
    if code in THROTTLING_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = {str(r.get("Code")) for r in response.get("CancellationReasons") or []}
        return bool(reasons & THROTTLED_CANCELLATIONS) and "ConditionalCheckFailed" not in reasons
    return False
