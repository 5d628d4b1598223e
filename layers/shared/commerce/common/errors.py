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
