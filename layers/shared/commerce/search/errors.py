"""Search and listing errors (stable codes; the resolver maps them to problem+json)."""

from commerce.common.errors import DomainError, InvalidInput, NotFound, Unprocessable

__all__ = ["CategoryNotFound", "InvalidCursor", "SnapshotUnavailable", "UnknownAttribute"]


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


class CategoryNotFound(NotFound):
    code = "CATEGORY_NOT_FOUND"


class UnknownAttribute(Unprocessable):
    code = "UNKNOWN_ATTRIBUTE"


class SnapshotUnavailable(DomainError):
    status, code, title = 503, "CATALOGUE_WARMING_UP", "The catalogue index is not built yet"
