"""Back-office order errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, DomainError, NotFound, Unprocessable


class InvalidFilter(Unprocessable):
    """A listing filter that cannot be read (the parameter is named in ``parameter``)."""

    code = "INVALID_PARAMETER"


class OrderAlreadyHeld(Conflict):
    code = "ORDER_ALREADY_HELD"


class OrderNotHeld(Conflict):
    code = "ORDER_NOT_HELD"


class OrderNotChangeable(Conflict):
    """Finished, cancelled or past the interception gate: nothing to hold or re-address."""

    code = "ORDER_NOT_CHANGEABLE"


class DispatchAlreadyRequested(Conflict):
    """The dispatch request went (or is going) to the warehouse: too late to hold or re-address."""

    code = "DISPATCH_ALREADY_REQUESTED"


class ShippingCountryChange(Unprocessable):
    """Shipping and VAT were priced for the order's country: another country needs a new order."""

    code = "SHIPPING_COUNTRY_CHANGE"


class EmailNotFound(NotFound):
    code = "EMAIL_NOT_FOUND"


class NoContactEmail(Conflict):
    code = "NO_CONTACT_EMAIL"


class NothingToRefund(Conflict):
    code = "NOTHING_TO_REFUND"


class RefundExceedsRefundable(Conflict):
    code = "REFUND_EXCEEDS_REFUNDABLE"


class RefundRefused(Conflict):
    """The bank refused the refund (``decline_code``); nothing was refunded."""

    code = "REFUND_REFUSED"


class PaymentGatewayUnavailable(DomainError):
    """The bank did not answer: send the same request again (same Idempotency-Key)."""

    status, code, title = 503, "PAYMENT_GATEWAY_UNAVAILABLE", "The payment gateway is unavailable"


class RefundNumberTaken(Exception):
    """Another refund reserved this number first: take the next."""


class RefundKeyUsed(Exception):
    """This Idempotency-Key has a refund already: a replay (or a key reuse)."""
