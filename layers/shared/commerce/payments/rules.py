"""The payment state machine as data, the amount rules and the idempotency keys. Pure: no I/O.

Commands (``authorise``, ``capture``, ``void``, ``refund``) and gateway outcomes (``authorised``,
``declined``, ...) each name the statuses they may start from; ``next_status`` says where they lead.
Anything else raises ``PaymentStateConflict`` (409 PAYMENT_STATE_CONFLICT)."""

from __future__ import annotations

from commerce.payments.errors import AmountNotAllowed, PaymentStateConflict
from commerce.payments.models import Operation, Outcome, PaymentStatus

S = PaymentStatus
NEW = None  # no payment record yet

# event -> statuses it is allowed from
ALLOWED: dict[str, frozenset[PaymentStatus | None]] = {
    # commands
    Operation.AUTHORISE: frozenset({NEW, S.FAILED}),  # a declined customer may retry (new attempt)
    Operation.CAPTURE: frozenset({S.AUTHORISED, S.PARTIALLY_CAPTURED}),
    # void from pending: the order expired or was cancelled while the authorisation was in flight,
    # so a late ``authorised`` webhook finds the payment voided and is ignored (docs/orders.md s4)
    Operation.VOID: frozenset({S.AUTHORISED, S.PENDING}),
    Operation.REFUND: frozenset({S.PARTIALLY_CAPTURED, S.CAPTURED}),
    # gateway outcomes
    Outcome.AUTHORISED: frozenset({S.PENDING}),
    Outcome.DECLINED: frozenset({S.PENDING}),
    Outcome.CHALLENGE_FAILED: frozenset({S.PENDING}),
    Outcome.CAPTURED: frozenset({S.AUTHORISED, S.PARTIALLY_CAPTURED}),
    Outcome.VOIDED: frozenset({S.AUTHORISED, S.PENDING}),
    Outcome.REFUNDED: frozenset({S.PARTIALLY_CAPTURED, S.CAPTURED}),
}


def allowed(event: str, status: PaymentStatus | None) -> bool:
    return status in ALLOWED[event]


def require(event: str, status: PaymentStatus | None) -> None:
    if not allowed(event, status):
        raise PaymentStateConflict(
            f"Cannot {event} a payment that is {status or 'not started'}.", status=str(status) if status else None
        )


def next_status(
    event: str,
    status: PaymentStatus | None,
    *,
    amount: int = 0,
    authorised: int = 0,
    captured: int = 0,
    refunded: int = 0,
) -> PaymentStatus:
    """Where ``event`` leads from ``status``. Amount-bearing events also check the amount rules
    (``amount`` is the event's; the others are the record's before it)."""
    require(event, status)
    match event:
        case Operation.AUTHORISE:
            return S.PENDING
        case Outcome.AUTHORISED:
            return S.AUTHORISED
        case Outcome.DECLINED | Outcome.CHALLENGE_FAILED:
            return S.FAILED
        case Outcome.VOIDED:
            return S.VOIDED
        case Operation.CAPTURE | Outcome.CAPTURED:
            check_capture(amount, authorised, captured)
            return S.CAPTURED if captured + amount == authorised else S.PARTIALLY_CAPTURED
        case Operation.REFUND | Outcome.REFUNDED:
            check_refund(amount, captured, refunded)
            assert status is not None
            return S.REFUNDED if refunded + amount == captured else status
        case Operation.VOID:
            return S.VOIDED
    raise PaymentStateConflict(f"Unknown payment event {event}.")


def check_capture(amount: int, authorised: int, captured: int) -> None:
    """A capture takes at most what is authorised and not captured yet (partial captures allowed)."""
    if amount <= 0 or amount > authorised - captured:
        raise AmountNotAllowed(
            f"Capture {amount}: {authorised - captured} of {authorised} is left to capture.",
            capturable=authorised - captured,
        )


def check_refund(amount: int, captured: int, refunded: int) -> None:
    """A refund gives back at most what is captured and not refunded yet."""
    if amount <= 0 or amount > captured - refunded:
        raise AmountNotAllowed(
            f"Refund {amount}: {captured - refunded} of {captured} captured is left to refund.",
            refundable=captured - refunded,
        )


def idempotency_key(order_id: str, operation: Operation | str, n: int) -> str:
    """``<order_id>:<operation>:<n>``: n is the attempt (authorise) or the sequence (capture, refund,
    void). The same call retried sends the same key, so the gateway never charges twice."""
    return f"{order_id}:{operation}:{n}"
