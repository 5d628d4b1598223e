"""Fulfilment errors, each with a stable code (problem+json ``code``)."""

from commerce.common.errors import Conflict, DomainError, NotFound, Unprocessable


class ShipmentNotFound(NotFound):
    """No dispatch was requested for this order (yet): the partner's retry may find it."""

    code = "SHIPMENT_NOT_FOUND"


class HandOverRefused(Conflict):
    """The interception gate: the order was cancelled first, so the warehouse must not hand the
    goods to the carrier; it puts them back. Final: the warehouse does not retry."""

    code = "ORDER_CANCELLED"


class NotReadyYet(DomainError):
    """A carrier event the order cannot take yet (delivered while the hand-over is still being
    captured): 503, so the carrier retries it shortly."""

    status, code, title = 503, "NOT_READY_YET", "Try again shortly"


class InvalidWebhook(Unprocessable):
    code = "INVALID_WEBHOOK"


class WarehouseUnavailable(Exception):
    """The warehouse system timed out or answered 5xx: the dispatch message is retried."""


class CaptureRefused(Exception):
    """The bank refused the capture at hand-over (its class name is the task's errorType): the
    execution fails and reconciliation raises the order for staff."""


class ReturnedToSender(Exception):
    """The carrier gave up: the Ship task fails with this errorType (the ASL catches it)."""
