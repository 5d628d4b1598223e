"""Order errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, DomainError, InvalidInput, NotFound, Unprocessable


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


class DuplicateEvent(Conflict):
    """A partner event (by id) that was applied before: answered as a duplicate, changes nothing."""

    code = "DUPLICATE_EVENT"


class InvalidCursor(Unprocessable):
    code = "INVALID_CURSOR"


class IdempotencyRecordExists(Exception):
    """The idempotency record was already there: this request is a replay (or a key reuse)."""


class OrderNotInReview(Conflict):
    code = "ORDER_NOT_IN_REVIEW"


class OrderNotAwaitingRetry(Conflict):
    code = "ORDER_NOT_AWAITING_RETRY"


class PaymentWindowClosed(DomainError):
    status, code, title = 410, "PAYMENT_WINDOW_CLOSED", "The payment window has closed"


class OrderPastInterception(Conflict):
    """Past the interception gate (handed to the carrier): the customer requests a return instead."""

    code = "ORDER_PAST_INTERCEPTION"


class OrderNotCancellable(Conflict):
    code = "ORDER_NOT_CANCELLABLE"


class OrderCancelled(Exception):
    """Raised by a workflow task that finds the order ``cancel_requested``: the ASL catches the
    error name ``OrderCancelled`` and goes to ``Cancel``."""
