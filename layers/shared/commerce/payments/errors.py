"""Payment errors, each with a stable code (the API's problem+json ``code``, the task's errorType)."""

from commerce.common.errors import Conflict, NotFound, Unprocessable


class PaymentStateConflict(Conflict):
    """The operation is not allowed in the payment's current status (see ``rules.TRANSITIONS``)."""

    code = "PAYMENT_STATE_CONFLICT"


class AmountNotAllowed(Conflict):
    """Capture beyond what is authorised and not captured, or refund beyond what is captured."""

    code = "PAYMENT_AMOUNT_NOT_ALLOWED"


class PaymentNotFound(NotFound):
    code = "PAYMENT_NOT_FOUND"


class InvalidPaymentRequest(Unprocessable):
    code = "INVALID_PAYMENT_REQUEST"


class CardDataRefused(Unprocessable):
    """Something that looks like a card number (PAN) reached us: refused, never stored or logged."""

    code = "CARD_DATA_REFUSED"


class ConcurrentPaymentChange(Conflict):
    """The record changed between read and conditional write; callers re-read and retry."""

    code = "CONCURRENT_CHANGE"


class GatewayUnavailable(Exception):
    """The gateway timed out or answered 5xx: retryable (with the same idempotency key).

    Its class name is the task's ``errorType``; the order workflow's ASL Retry names it."""
