"""Order errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, InvalidInput, NotFound, Unprocessable


class IdempotencyKeyRequired(InvalidInput):
    code = "IDEMPOTENCY_KEY_REQUIRED"


class IdempotencyKeyReused(Unprocessable):
    code = "IDEMPOTENCY_KEY_REUSED"


class InsufficientStock(Conflict):
    code = "INSUFFICIENT_STOCK"


class QuoteAlreadyUsed(Conflict):
    code = "QUOTE_ALREADY_USED"


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"


class OrderStateConflict(Conflict):
    code = "ORDER_STATE_CONFLICT"


class InvalidCursor(Unprocessable):
    code = "INVALID_CURSOR"


class IdempotencyRecordExists(Exception):
    """The idempotency record was already there: this request is a replay (or a key reuse)."""
