"""What payments need from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from typing import Any, Protocol

from commerce.payments.models import GatewayAck, Payment


class MerchantGateway(Protocol):
    """The merchant system (bank / payment service provider).

    Declines are answers (``GatewayAck(status="declined")``), not errors. Timeouts and 5xx raise
    ``GatewayUnavailable``: retry with the same idempotency key, which never charges twice."""

    def authorise(self, token: str, amount: int, currency: str, idempotency_key: str, order_id: str) -> GatewayAck: ...

    def capture(
        self, authorisation: str, amount: int, currency: str, idempotency_key: str, order_id: str
    ) -> GatewayAck: ...

    def void(self, authorisation: str, idempotency_key: str, order_id: str) -> GatewayAck: ...

    def refund(
        self, authorisation: str, amount: int, currency: str, idempotency_key: str, order_id: str
    ) -> GatewayAck: ...


class PaymentRepository(Protocol):
    def get(self, order_id: str) -> Payment | None: ...

    def save(self, payment: Payment, expected_version: int) -> Payment:
        """Writes it if the stored version is ``expected_version`` (0: none stored); returns it with
        the next version. ConcurrentPaymentChange otherwise."""
        ...

    def claim_webhook(self, event_id: str, expires_at: int) -> bool:
        """Records a webhook event id; False when it was recorded already (a duplicate)."""
        ...

    def release_webhook(self, event_id: str) -> None:
        """Forgets an event id whose handling failed, so the sender's retry is processed."""
        ...


class EventPublisher(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None: ...


class WorkflowCallback(Protocol):
    """Completes a workflow task that waits on a task token (Step Functions ``.waitForTaskToken``)."""

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        """False when the task is gone (timed out, already completed): the workflow moved on."""
        ...


class SigningKeys(Protocol):
    def key(self, partner: str) -> bytes: ...
