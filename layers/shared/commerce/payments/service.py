"""Payment use cases: authorise / capture / void / refund through the gateway, and the gateway's
webhooks. Every change is a conditional write on the record's version (re-read and retried on a
conflict); events are published and waiting workflow tasks completed only after the write."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from commerce.common.observability import logger
from commerce.payments import rules
from commerce.payments.errors import (
    CardDataRefused,
    ConcurrentPaymentChange,
    InvalidPaymentRequest,
    PaymentNotFound,
    PaymentStateConflict,
)
from commerce.payments.models import (
    Attempt,
    GatewayAck,
    HistoryEntry,
    Movement,
    OperateRequest,
    Operation,
    Outcome,
    Payment,
    PaymentStatus,
    WebhookEvent,
    looks_like_card_number,
)
from commerce.payments.ports import EventPublisher, MerchantGateway, PaymentRepository, WorkflowCallback

SOURCE = "commerce.payments"
WEBHOOK_MEMORY_SECONDS = 7 * 24 * 3600  # event ids are remembered this long (TTL)
HISTORY_LIMIT = 100
S = PaymentStatus

# The fact each outcome announces (past tense, schema in events/schemas).
EVENTS: dict[str, dict[str, str]] = {
    Outcome.AUTHORISED: {"detail_type": "PaymentAuthorized"},
    Outcome.DECLINED: {"detail_type": "PaymentDeclined"},
    Outcome.CHALLENGE_FAILED: {"detail_type": "PaymentFailed"},
    Outcome.CAPTURED: {"detail_type": "PaymentCaptured"},
    Outcome.VOIDED: {"detail_type": "PaymentVoided"},
    Outcome.REFUNDED: {"detail_type": "PaymentRefunded"},
}
WEBHOOK_OUTCOMES = {f"payment.{o}": Outcome(o) for o in Outcome}
MOVEMENT_OUTCOME = {
    Operation.CAPTURE: Outcome.CAPTURED,
    Operation.VOID: Outcome.VOIDED,
    Operation.REFUND: Outcome.REFUNDED,
}
AUTH_OUTCOMES = {Outcome.AUTHORISED, Outcome.DECLINED, Outcome.CHALLENGE_FAILED}


def refuse_card_data(text: str) -> None:
    """Card numbers never enter the system: a standalone, Luhn-valid 13-19 digit run is refused, unlogged."""
    if looks_like_card_number(text):
        raise CardDataRefused("Send a card token from the payment gateway, never a card number.")


@dataclass
class _Effects:
    """What to do once a change is stored."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    complete: tuple[str, dict[str, Any]] | None = None  # (task token, output)
    result: dict[str, Any] = field(default_factory=dict)
    void_late: str | None = None  # the reference of an authorisation that came after we voided


class PaymentService:
    def __init__(
        self,
        payments: PaymentRepository,
        gateway: MerchantGateway | None = None,
        events: EventPublisher | None = None,
        callback: WorkflowCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._payments = payments
        self._gateway = gateway
        self._events = events
        self._callback = callback
        self._clock = clock

    # ---- queries ---------------------------------------------------------------------------------
    def get(self, order_id: str) -> Payment:
        payment = self._payments.get(order_id)
        if payment is None:
            raise PaymentNotFound(f"No payment for order {order_id}.")
        return payment

    # ---- commands (the order workflow's task) --------------------------------------------------------
    def operate(self, raw: dict[str, Any]) -> dict[str, Any]:
        refuse_card_data(json.dumps({k: v for k, v in raw.items() if k != "task_token"}, default=str))
        try:
            request = OperateRequest.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise InvalidPaymentRequest(f"Invalid payment request: {problems}") from None
        match request.operation:
            case Operation.AUTHORISE:
                if request.token is None or request.amount is None or request.currency is None:
                    raise InvalidPaymentRequest("authorise needs token, amount and currency.")
                payment = self.authorise(
                    request.order_id, request.amount, request.currency, request.token, request.task_token
                )
            case Operation.VOID:
                payment = self.move(Operation.VOID, request.order_id, None)
            case _:
                if request.amount is None:
                    raise InvalidPaymentRequest(f"{request.operation} needs an amount.")
                payment = self.move(request.operation, request.order_id, request.amount)
        return summary(payment)

    def authorise(
        self, order_id: str, amount: int, currency: str, token: str, task_token: str | None = None
    ) -> Payment:
        now = self._now()
        send: Attempt | None = None

        def change(p: Payment | None) -> Payment | None:
            nonlocal send
            send = None
            if p is not None and p.status in (S.AUTHORISED, S.PARTIALLY_CAPTURED, S.CAPTURED):
                return None  # done already: idempotent
            if p is not None and p.status is S.PENDING:
                last = p.last_attempt
                if last is not None and last.outcome == "requested":
                    send = last  # a retry after GatewayUnavailable: same key
                if task_token and p.task_token != task_token:
                    p.task_token = task_token
                    return p
                return None
            status = rules.next_status(Operation.AUTHORISE, p.status if p else None)
            if p is None:
                p = Payment(
                    payment_id=f"pay_{order_id}",
                    order_id=order_id,
                    amount=amount,
                    currency=currency,
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            n = len(p.attempts) + 1
            send = Attempt(number=n, idempotency_key=rules.idempotency_key(order_id, Operation.AUTHORISE, n), at=now)
            p.attempts.append(send)
            p.status, p.amount, p.currency, p.task_token = status, amount, currency, task_token
            _note(p, now, f"authorise attempt {n}", "pending")
            return p

        payment = self._commit(order_id, change)
        assert payment is not None
        if send is None:
            if task_token and payment.status is not S.PENDING:
                self._complete(task_token, _authorised_output(payment))
            return payment
        ack = self._gateway_required().authorise(token, amount, currency, send.idempotency_key, order_id)
        return self._on_authorise_ack(order_id, send.idempotency_key, ack)

    def move(self, operation: Operation, order_id: str, amount: int | None, number: int | None = None) -> Payment:
        """Capture (partial allowed), void or refund. ``number`` names the operation explicitly (the
        workflow's capture at hand-over is capture 1): a retried task whose first try reached the
        gateway (a timeout after the bank captured) finds that movement and re-sends it with the
        same idempotency key, or answers it when done, instead of asking for a second capture."""
        now = self._now()
        send: Movement | None = None
        done: Movement | None = None

        def change(p: Payment | None) -> Payment | None:
            nonlocal send, done
            send = done = None
            if p is None:
                raise PaymentNotFound(f"No payment for order {order_id}.")
            if number is not None:
                named = next((m for m in p.movements if m.operation is operation and m.sequence == number), None)
                if named is not None and named.state == "requested":
                    send = named  # a retry: the same key again
                    return None
                if named is not None:
                    done = named
                    return None
            in_flight = next((m for m in p.movements if m.state == "requested"), None)
            if in_flight is not None:
                if in_flight.operation is operation and (amount is None or amount == in_flight.amount):
                    send = in_flight  # a retry after GatewayUnavailable: same key
                    return None
                raise PaymentStateConflict(
                    f"A {in_flight.operation} is in flight.", status=str(p.status), in_flight=str(in_flight.operation)
                )
            value = p.amount - p.captured if operation is Operation.VOID else int(amount or 0)
            rules.next_status(
                operation, p.status, amount=value, authorised=p.amount, captured=p.captured, refunded=p.refunded
            )
            n = number or 1 + sum(1 for m in p.movements if m.operation is operation)
            key = rules.idempotency_key(order_id, operation, n)
            send = Movement(operation=operation, sequence=n, idempotency_key=key, amount=value, at=now)
            p.movements.append(send)
            _note(p, now, f"{operation} {value} requested", str(p.status))
            return p

        payment = self._commit(order_id, change)
        assert payment is not None
        if done is not None:
            return payment  # applied, or refused: the caller reads the movement
        assert send is not None
        last = payment.last_attempt
        pending_reference = last.reference if last is not None and payment.status is S.PENDING else None
        reference = payment.authorisation_reference or pending_reference or ""
        if operation is Operation.VOID and not reference:
            # the gateway never acknowledged the authorisation (it timed out): there is nothing to
            # void by reference. Voided here; a late ``authorised`` is voided at the gateway on arrival.
            self._apply(order_id, Outcome.VOIDED, send.idempotency_key, None, None, None, "nothing at the gateway")
            return self.get(order_id)
        gateway = self._gateway_required()
        key, value = send.idempotency_key, send.amount
        match operation:
            case Operation.CAPTURE:
                ack = gateway.capture(reference, value, payment.currency, key, order_id)
            case Operation.REFUND:
                ack = gateway.refund(reference, value, payment.currency, key, order_id)
            case _:
                ack = gateway.void(reference, key, order_id)
        if ack.status == "accepted":
            self._apply(order_id, MOVEMENT_OUTCOME[operation], key, ack.reference, None, None, "gateway")
            return self.get(order_id)
        return self._refuse_movement(order_id, key, ack.decline_code or "declined")

    # ---- the gateway's webhooks ----------------------------------------------------------------------
    def handle_webhook(self, event: WebhookEvent) -> dict[str, Any]:
        """De-duplicated by event id; applied if the payment's status still accepts it, otherwise
        recorded and ignored (never an error the sender would retry forever)."""
        if not self._payments.claim_webhook(event.event_id, int(self._clock()) + WEBHOOK_MEMORY_SECONDS):
            logger.info("duplicate webhook", extra={"event_id": event.event_id})
            return {"duplicate": True}
        try:
            outcome = WEBHOOK_OUTCOMES[event.type]
            result = self._apply(
                event.order_id,
                outcome,
                event.idempotency_key,
                event.reference,
                event.amount,
                event.decline_code,
                f"webhook {event.type} {event.event_id}",
            )
        except BaseException:
            self._payments.release_webhook(event.event_id)  # let the sender's retry through
            raise
        return result

    # ---- applying outcomes ---------------------------------------------------------------------------
    def _on_authorise_ack(self, order_id: str, key: str, ack: GatewayAck) -> Payment:
        if ack.status == "declined":
            self._apply(order_id, Outcome.DECLINED, key, ack.reference, None, ack.decline_code, "gateway")
            return self.get(order_id)
        now = self._now()

        def change(p: Payment | None) -> Payment | None:
            assert p is not None
            attempt = p.attempt(key=key)
            if attempt is None or attempt.outcome != "requested":
                return None  # the webhook got here first
            attempt.outcome = "challenge_required" if ack.status == "challenge_required" else "accepted"
            attempt.reference, attempt.challenge_url = ack.reference, ack.challenge_url
            _note(p, now, f"gateway {attempt.outcome} attempt {attempt.number}", str(p.status))
            return p

        self._commit(order_id, change)
        return self.get(order_id)

    def _refuse_movement(self, order_id: str, key: str, code: str) -> Payment:
        now = self._now()

        def change(p: Payment | None) -> Payment | None:
            assert p is not None
            m = p.movement(key)
            if m is None or m.state != "requested":
                return None
            m.state, m.decline_code = "refused", code
            _note(p, now, f"gateway refused {m.operation} {m.sequence}", code)
            return p

        return self._commit(order_id, change) or self.get(order_id)

    def _apply(
        self,
        order_id: str,
        outcome: Outcome,
        key: str | None,
        reference: str | None,
        amount: int | None,
        decline_code: str | None,
        via: str,
    ) -> dict[str, Any]:
        now = self._now()
        effects = _Effects()
        from_webhook = via.startswith("webhook")

        def ignore(p: Payment, reason: str) -> Payment | None:
            effects.result = {"ignored": reason, "status": str(p.status)}
            if not from_webhook:
                return None
            logger.info("webhook ignored", extra={"reason": reason, "order_id": order_id})
            _note(p, now, via, f"ignored: {reason}")
            return p

        def change(p: Payment | None) -> Payment | None:
            effects.events, effects.complete = [], None
            if p is None:
                raise PaymentNotFound(f"No payment for order {order_id}.")
            if outcome in AUTH_OUTCOMES:
                return self._apply_authorisation(p, outcome, key, reference, decline_code, via, now, effects, ignore)
            m = p.movement(key) if key else next((x for x in p.movements if x.reference == reference), None)
            if m is None or m.operation is not _operation_of(outcome):
                return ignore(p, "unknown operation")
            if m.state == "applied":
                return ignore(p, "already applied")
            if amount is not None and outcome is not Outcome.VOIDED and amount != m.amount:
                return ignore(p, "amount differs from the request")
            if not rules.allowed(outcome, p.status):
                return ignore(p, f"payment is {p.status}")
            p.status = rules.next_status(
                outcome, p.status, amount=m.amount, authorised=p.amount, captured=p.captured, refunded=p.refunded
            )
            if outcome is Outcome.CAPTURED:
                p.captured += m.amount
            elif outcome is Outcome.REFUNDED:
                p.refunded += m.amount
            m.state, m.reference = "applied", reference or m.reference
            _note(p, now, via, str(p.status))
            effects.events.append(
                (EVENTS[outcome]["detail_type"], _detail(p, now, m.reference, m.amount, m.idempotency_key))
            )
            effects.result = {"applied": str(outcome), "status": str(p.status)}
            return p

        self._commit(order_id, change)
        if effects.void_late is not None and self._gateway is not None:
            self._gateway.void(effects.void_late, f"{order_id}:void-late:{effects.void_late}", order_id)
            logger.info("late authorisation voided at the gateway", extra={"order_id": order_id})
        for detail_type, detail in effects.events:
            if self._events is not None:
                self._events.publish(SOURCE, detail_type, detail)
        if effects.complete is not None:
            self._complete(*effects.complete)
        return effects.result

    @staticmethod
    def _apply_authorisation(
        p: Payment,
        outcome: Outcome,
        key: str | None,
        reference: str | None,
        decline_code: str | None,
        via: str,
        now: str,
        effects: _Effects,
        ignore: Callable[[Payment, str], Payment | None],
    ) -> Payment | None:
        attempt = p.attempt(key=key, reference=reference)
        if attempt is None:
            return ignore(p, "unknown authorisation attempt")
        if attempt is not p.last_attempt:
            return ignore(p, "a later attempt superseded it")
        if not rules.allowed(outcome, p.status):
            if outcome is Outcome.AUTHORISED and p.status is S.VOIDED and reference:
                effects.void_late = reference  # the money must not stay held: void it at the gateway
            return ignore(p, f"payment is {p.status}")
        p.status = rules.next_status(outcome, p.status)
        attempt.outcome = str(outcome)
        attempt.reference = reference or attempt.reference
        if outcome is not Outcome.AUTHORISED:
            attempt.decline_code = decline_code or str(outcome)
        _note(p, now, via, str(p.status))
        detail = _detail(p, now, attempt.reference, p.amount, attempt.idempotency_key)
        detail["attempt"] = attempt.number
        if outcome is not Outcome.AUTHORISED:
            detail["decline_code"] = attempt.decline_code
        effects.events.append((EVENTS[outcome]["detail_type"], detail))
        if p.task_token:
            output = (
                _authorised_output(p)
                if outcome is Outcome.AUTHORISED
                else {
                    "outcome": "declined",
                    "order_id": p.order_id,
                    "payment_id": p.payment_id,
                    "attempt": attempt.number,
                    "decline_code": attempt.decline_code,
                }
            )
            effects.complete = (p.task_token, output)
            p.task_token = None  # single use
        effects.result = {"applied": str(outcome), "status": str(p.status)}
        return p

    # ---- plumbing ------------------------------------------------------------------------------------
    def _commit(self, order_id: str, change: Callable[[Payment | None], Payment | None]) -> Payment | None:
        """Read, change, write conditionally on the version read; re-run on a concurrent change."""
        for _ in range(8):
            current = self._payments.get(order_id)
            updated = change(current.model_copy(deep=True) if current else None)
            if updated is None:
                return current
            updated.updated_at = self._now()
            try:
                return self._payments.save(updated, expected_version=current.version if current else 0)
            except ConcurrentPaymentChange:
                continue
        raise ConcurrentPaymentChange(f"The payment for order {order_id} keeps changing; try again.")

    def _complete(self, task_token: str, output: dict[str, Any]) -> None:
        if self._callback is None:
            return
        if not self._callback.succeed(task_token, output):
            logger.info("waiting task already gone", extra={"outcome": output.get("outcome")})

    def _gateway_required(self) -> MerchantGateway:
        if self._gateway is None:
            raise RuntimeError("this service was built without a merchant gateway")
        return self._gateway

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _operation_of(outcome: Outcome) -> Operation | None:
    return next((op for op, o in MOVEMENT_OUTCOME.items() if o is outcome), None)


def _note(p: Payment, at: str, what: str, result: str) -> None:
    p.history.append(HistoryEntry(at=at, what=what, result=result))
    del p.history[:-HISTORY_LIMIT]


def _detail(p: Payment, now: str, reference: str | None, amount: int, key: str) -> dict[str, Any]:
    return {
        "event_id": f"{key}:{p.status}",
        "occurred_at": now,
        "order_id": p.order_id,
        "payment_id": p.payment_id,
        "status": str(p.status),
        "amount": amount,
        "currency": p.currency,
        "captured": p.captured,
        "refunded": p.refunded,
        "reference": reference,
    }


def _authorised_output(p: Payment) -> dict[str, Any]:
    return {
        "outcome": "authorised",
        "order_id": p.order_id,
        "payment_id": p.payment_id,
        "reference": p.authorisation_reference,
        "amount": p.amount,
        "currency": p.currency,
    }


def summary(p: Payment) -> dict[str, Any]:
    """What the workflow task returns (no history)."""
    last = p.last_attempt
    return {
        "order_id": p.order_id,
        "payment_id": p.payment_id,
        "status": str(p.status),
        "amount": p.amount,
        "currency": p.currency,
        "captured": p.captured,
        "refunded": p.refunded,
        "attempt": last.number if last else 0,
        "attempt_outcome": last.outcome if last else None,
        "decline_code": last.decline_code if last else None,
        "challenge_url": last.challenge_url if last else None,
    }
