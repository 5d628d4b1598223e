"""Payments domain: the transition table, amount rules, idempotency keys, webhook signatures, and the
webhook use case (de-duplication, out-of-order events) with in-memory fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commerce.common import signatures
from commerce.common.signatures import InvalidSignature, StaleSignature
from commerce.payments import rules
from commerce.payments.errors import (
    AmountNotAllowed,
    CardDataRefused,
    ConcurrentPaymentChange,
    GatewayUnavailable,
    PaymentStateConflict,
)
from commerce.payments.models import GatewayAck, Operation, Outcome, Payment, PaymentStatus, WebhookEvent
from commerce.payments.service import PaymentService

S = PaymentStatus
KEY = bytes.fromhex("ab" * 32)
NOW = 1_800_000_000


# ---- the transition table -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "status", "expected"),
    [
        (Operation.AUTHORISE, None, S.PENDING),
        (Operation.AUTHORISE, S.FAILED, S.PENDING),
        (Outcome.AUTHORISED, S.PENDING, S.AUTHORISED),
        (Outcome.DECLINED, S.PENDING, S.FAILED),
        (Outcome.CHALLENGE_FAILED, S.PENDING, S.FAILED),
        (Outcome.VOIDED, S.AUTHORISED, S.VOIDED),
    ],
)
def test_legal_transitions(event: str, status: PaymentStatus | None, expected: PaymentStatus) -> None:
    assert rules.next_status(event, status) is expected


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (Operation.AUTHORISE, S.PENDING),
        (Operation.AUTHORISE, S.AUTHORISED),
        (Operation.CAPTURE, S.PENDING),
        (Operation.CAPTURE, S.VOIDED),
        (Operation.VOID, S.PARTIALLY_CAPTURED),
        (Operation.REFUND, S.AUTHORISED),
        (Outcome.AUTHORISED, S.FAILED),
        (Outcome.DECLINED, S.AUTHORISED),
        (Outcome.CAPTURED, S.REFUNDED),
    ],
)
def test_illegal_transitions_conflict_with_a_stable_code(event: str, status: PaymentStatus) -> None:
    with pytest.raises(PaymentStateConflict) as raised:
        rules.next_status(event, status, amount=1, authorised=10, captured=10)
    assert raised.value.code == "PAYMENT_STATE_CONFLICT" and raised.value.status == 409


def test_every_status_is_in_the_enum_exactly() -> None:
    assert [s.value for s in S] == [
        "pending",
        "authorised",
        "partially_captured",
        "captured",
        "voided",
        "refunded",
        "failed",
    ]


def test_capture_amounts() -> None:
    assert rules.next_status(Operation.CAPTURE, S.AUTHORISED, amount=400, authorised=1000) is S.PARTIALLY_CAPTURED
    assert (
        rules.next_status(Outcome.CAPTURED, S.PARTIALLY_CAPTURED, amount=600, authorised=1000, captured=400)
        is S.CAPTURED
    )
    for amount in (0, 601):
        with pytest.raises(AmountNotAllowed):
            rules.next_status(Operation.CAPTURE, S.PARTIALLY_CAPTURED, amount=amount, authorised=1000, captured=400)


def test_refund_amounts() -> None:
    assert rules.next_status(Operation.REFUND, S.CAPTURED, amount=300, captured=1000) is S.CAPTURED
    assert rules.next_status(Outcome.REFUNDED, S.CAPTURED, amount=700, captured=1000, refunded=300) is S.REFUNDED
    assert rules.next_status(Outcome.REFUNDED, S.PARTIALLY_CAPTURED, amount=400, captured=400) is S.REFUNDED
    with pytest.raises(AmountNotAllowed):
        rules.next_status(Operation.REFUND, S.CAPTURED, amount=701, captured=1000, refunded=300)


def test_idempotency_keys() -> None:
    assert rules.idempotency_key("ord_1", Operation.AUTHORISE, 2) == "ord_1:authorise:2"
    assert rules.idempotency_key("ord_1", Operation.CAPTURE, 1) == "ord_1:capture:1"


# ---- signatures -------------------------------------------------------------------------------------
BODY = b'{"event_id": "evt_1", "amount": 100}'


def test_a_good_signature_verifies() -> None:
    assert signatures.verify(KEY, signatures.sign(KEY, NOW, BODY), BODY, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    "header",
    [
        signatures.sign(KEY, NOW, BODY + b" "),  # tampered body
        signatures.sign(b"wrong key", NOW, BODY),
        signatures.sign(KEY, NOW + 1, BODY).replace(f"t={NOW + 1}", f"t={NOW}"),  # timestamp swapped
        None,
        "",
        "v1=abc",
        f"t={NOW}",
        f"t=yesterday,v1={'0' * 64}",
        "garbage",
    ],
)
def test_bad_signatures_are_invalid(header: str | None) -> None:
    with pytest.raises(InvalidSignature) as raised:
        signatures.verify(KEY, header, BODY, now=NOW)
    assert raised.value.code == "INVALID_SIGNATURE" and raised.value.status == 401


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_signatures_outside_the_window_are_stale(skew: int) -> None:
    with pytest.raises(StaleSignature):
        signatures.verify(KEY, signatures.sign(KEY, NOW, BODY), BODY, now=NOW + skew)


# ---- the use cases with fakes -----------------------------------------------------------------------------
class FakeRepo:
    def __init__(self) -> None:
        self.docs: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.webhooks: set[str] = set()
        self.conflicts = 0

    def get(self, order_id: str) -> Payment | None:
        if order_id not in self.docs:
            return None
        return Payment.model_validate_json(self.docs[order_id]).model_copy(update={"version": self.versions[order_id]})

    def save(self, payment: Payment, expected_version: int) -> Payment:
        if self.conflicts:
            self.conflicts -= 1
            raise ConcurrentPaymentChange("someone else wrote")
        if self.versions.get(payment.order_id, 0) != expected_version:
            raise ConcurrentPaymentChange("stale")
        self.docs[payment.order_id] = payment.model_dump_json()
        self.versions[payment.order_id] = expected_version + 1
        return payment.model_copy(update={"version": expected_version + 1})

    def claim_webhook(self, event_id: str, expires_at: int) -> bool:
        if event_id in self.webhooks:
            return False
        self.webhooks.add(event_id)
        return True

    def release_webhook(self, event_id: str) -> None:
        self.webhooks.discard(event_id)


ACCEPTED = GatewayAck(reference="auth_1", status="accepted")


class FakeGateway:
    def __init__(self, answer: GatewayAck | Exception) -> None:
        self.answer, self.keys = answer, []  # type: ignore[var-annotated]

    def authorise(self, token: str, amount: int, currency: str, idempotency_key: str, order_id: str) -> GatewayAck:
        self.keys.append(idempotency_key)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def capture(self, *args: Any) -> GatewayAck:
        return GatewayAck(reference="cap_1", status="accepted")

    void = refund = capture


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.completed: list[tuple[str, dict[str, Any]]] = []

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None:
        self.events.append((detail_type, detail))

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        self.completed.append((task_token, output))
        return True


def service(
    answer: GatewayAck | Exception = ACCEPTED,
) -> tuple[PaymentService, FakeRepo, FakeGateway, Recorder]:
    repo, gateway, recorder = FakeRepo(), FakeGateway(answer), Recorder()
    return PaymentService(repo, gateway, recorder, recorder, clock=lambda: NOW), repo, gateway, recorder


def webhook(type_: str, event_id: str = "evt_1", **extra: Any) -> WebhookEvent:
    return WebhookEvent.model_validate(
        {
            "event_id": event_id,
            "type": type_,
            "order_id": "ord_1",
            "reference": "auth_1",
            "amount": 1000,
            "currency": "EUR",
            "idempotency_key": "ord_1:authorise:1",
            **extra,
        }
    )


def test_authorised_webhook_applies_publishes_and_completes_the_task_once() -> None:
    svc, repo, _, rec = service()
    svc.authorise("ord_1", 1000, "EUR", "tok_approve", task_token="TT")
    assert svc.handle_webhook(webhook("payment.authorised")) == {"applied": "authorised", "status": "authorised"}
    assert svc.handle_webhook(webhook("payment.authorised")) == {"duplicate": True}
    assert [t for t, _ in rec.events] == ["PaymentAuthorized"]
    assert rec.completed == [
        (
            "TT",
            {
                "outcome": "authorised",
                "order_id": "ord_1",
                "payment_id": "pay_ord_1",
                "reference": "auth_1",
                "amount": 1000,
                "currency": "EUR",
            },
        )
    ]
    assert repo.get("ord_1").task_token is None  # type: ignore[union-attr]


def test_out_of_order_webhook_is_ignored_and_recorded() -> None:
    svc, repo, _, rec = service()
    svc.authorise("ord_1", 1000, "EUR", "tok_approve")
    svc.handle_webhook(webhook("payment.authorised"))
    late = svc.handle_webhook(webhook("payment.declined", event_id="evt_2", decline_code="card_declined"))
    assert late == {"ignored": "payment is authorised", "status": "authorised"}
    payment = repo.get("ord_1")
    assert payment is not None and payment.status is S.AUTHORISED
    assert payment.history[-1].result == "ignored: payment is authorised"
    assert [t for t, _ in rec.events] == ["PaymentAuthorized"]


def test_a_superseded_attempt_is_ignored() -> None:
    svc, _, gateway, _ = service()
    svc.authorise("ord_1", 1000, "EUR", "tok_decline")
    svc.handle_webhook(webhook("payment.declined", decline_code="card_declined"))
    svc.authorise("ord_1", 1000, "EUR", "tok_approve")
    assert gateway.keys == ["ord_1:authorise:1", "ord_1:authorise:2"]
    stale = svc.handle_webhook(webhook("payment.authorised", event_id="evt_3"))
    assert stale["ignored"] == "a later attempt superseded it"


def test_gateway_unavailable_propagates_and_the_retry_reuses_the_key() -> None:
    svc, repo, gateway, _ = service(GatewayUnavailable("timeout"))
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            svc.authorise("ord_1", 1000, "EUR", "tok_timeout")
    assert gateway.keys == ["ord_1:authorise:1"] * 2
    assert repo.get("ord_1").attempts[0].outcome == "requested"  # type: ignore[union-attr]


def test_concurrent_writes_are_retried() -> None:
    svc, repo, _, _ = service()
    repo.conflicts = 2
    assert svc.authorise("ord_1", 1000, "EUR", "tok_approve").status is S.PENDING


def test_a_failed_webhook_is_not_remembered() -> None:
    svc, repo, _, _ = service()
    with pytest.raises(Exception, match="No payment"):
        svc.handle_webhook(webhook("payment.authorised"))
    assert repo.webhooks == set()


def test_card_numbers_are_refused_before_anything_else() -> None:
    svc, repo, _, _ = service()
    with pytest.raises(CardDataRefused):
        svc.operate(
            {
                "operation": "authorise",
                "order_id": "ord_1",
                "amount": 1,
                "currency": "EUR",
                "token": "4111 1111 1111 1111".replace(" ", ""),
            }
        )
    assert repo.docs == {} and "4111" not in json.dumps(repo.docs)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ('{"token": "4111111111111111"}', True),  # a test Visa number, Luhn-valid
        ('{"reference": "5555555555554444"}', True),
        ("card 4242424242424242 please", True),
        ('{"token": "4111111111111112"}', False),  # fails the Luhn check: not a card number
        ('{"event_id": "evt_3366123456789012"}', False),  # an id that happens to be digits
        ('{"event_id": "evt_4111111111111111"}', False),  # part of a longer id, even when Luhn-valid
        ('{"at": 1795329852130}', False),  # a millisecond timestamp (13 digits, not Luhn-valid)
        ('{"amount": 12345}', False),
    ],
)
def test_only_a_standalone_luhn_valid_run_looks_like_a_card_number(text: str, refused: bool) -> None:
    from commerce.payments.models import looks_like_card_number

    assert looks_like_card_number(text) is refused
