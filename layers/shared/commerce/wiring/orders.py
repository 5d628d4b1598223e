"""Order services: placement (orders-place), reads (orders-history), transitions (orders-transition)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.common.settings import EnvModel, from_env
from commerce.orders.models import DEFAULT_PAYMENT_WINDOW_SECONDS
from commerce.orders.risk import DEFAULT_AMOUNT_THRESHOLD, DEFAULT_MAX_ORDERS_PER_HOUR, RiskRules

if TYPE_CHECKING:
    from commerce.orders.service import OrderService


class OrdersEnv(EnvModel):
    orders_table: str


class PlaceEnv(EnvModel):
    carts_table: str
    inventory_table: str
    order_lifecycle_state_machine_arn: str


class PaymentWindowEnv(EnvModel):
    # How long a placed order holds its stock waiting for the payment (seconds). Unset on AWS: the
    # 30-minute default; the local cloud's tests set a few seconds.
    order_payment_window_seconds: int = DEFAULT_PAYMENT_WINDOW_SECONDS


def payment_window() -> int:
    return from_env(PaymentWindowEnv).order_payment_window_seconds


class PaymentsReader:
    """The payments context's public service, as orders sees it."""

    def __init__(self, service: Any) -> None:
        self._service = service

    def state(self, order_id: str) -> dict[str, Any] | None:
        from commerce.payments.errors import PaymentNotFound
        from commerce.payments.service import summary

        try:
            payment = self._service.get(order_id)
        except PaymentNotFound:
            return None
        return dict(summary(payment))

    def void_if_authorised(self, order_id: str) -> bool:
        from commerce.payments.errors import PaymentNotFound
        from commerce.payments.models import Operation, PaymentStatus

        try:
            payment = self._service.get(order_id)
        except PaymentNotFound:
            return False
        if payment.status is not PaymentStatus.AUTHORISED:
            return False
        self._service.move(Operation.VOID, order_id, None)
        return True

    def release_payment(self, order_id: str) -> str | None:
        """Void an authorisation (or one in flight: a late ``authorised`` webhook is then ignored),
        refund what was captured; None when there is nothing to give back."""
        from commerce.payments.errors import PaymentNotFound
        from commerce.payments.models import Operation, PaymentStatus

        try:
            payment = self._service.get(order_id)
        except PaymentNotFound:
            return None
        if payment.status is PaymentStatus.VOIDED:
            return "voided"
        if payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.PENDING):
            after = self._service.move(Operation.VOID, order_id, None)
            return "voided" if after.status is PaymentStatus.VOIDED else str(after.status)
        if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_CAPTURED):
            left = payment.captured - payment.refunded
            if left > 0:
                self._service.move(Operation.REFUND, order_id, left)
            return "refunded"
        return None

    def capture_for_dispatch(self, order_id: str) -> int:
        """Capture 1, all of the authorisation, named explicitly so a retried Ship task never asks
        for a second capture (docs/payments.md)."""
        from commerce.fulfilment.errors import CaptureRefused
        from commerce.payments.models import Operation

        payment = self._service.get(order_id)
        first = next((m for m in payment.movements if m.operation is Operation.CAPTURE and m.sequence == 1), None)
        amount = first.amount if first is not None else payment.amount - payment.captured
        after = self._service.move(Operation.CAPTURE, order_id, amount, number=1)
        done = next(m for m in after.movements if m.operation is Operation.CAPTURE and m.sequence == 1)
        if done.state == "refused":
            raise CaptureRefused(f"The bank refused capturing order {order_id}: {done.decline_code}.")
        return int(done.amount)

    def task_token(self, order_id: str) -> str | None:
        from commerce.payments.errors import PaymentNotFound

        try:
            return self._service.get(order_id).task_token  # type: ignore[no-any-return]
        except PaymentNotFound:
            return None


@cache
def place_service() -> OrderService:
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.orders.service import OrderService
    from commerce.wiring.carts import quote_signer

    env = from_env(PlaceEnv)
    return OrderService(
        DynamoOrderRepository(
            from_env(OrdersEnv).orders_table, env.carts_table, DynamoStockRepository(env.inventory_table)
        ),
        workflow=StepFunctionsWorkflow(env.order_lifecycle_state_machine_arn),
        key=quote_signer().key,
        window=payment_window,
    )


class ReadEnv(EnvModel):
    payments_table: str


@cache
def read_service() -> OrderService:
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.orders.service import OrderService
    from commerce.payments.service import PaymentService

    payments = PaymentsReader(PaymentService(DynamoPaymentRepository(from_env(ReadEnv).payments_table)))
    return OrderService(DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", NoStock()), payments=payments)


class TransitionEnv(EnvModel):
    inventory_table: str


class RiskEnv(EnvModel):
    # The risk check's thresholds (docs/orders.md section 3); unset: the defaults.
    order_review_amount_threshold: int = DEFAULT_AMOUNT_THRESHOLD
    order_review_max_orders_per_hour: int = DEFAULT_MAX_ORDERS_PER_HOUR


def risk_rules() -> RiskRules:
    env = from_env(RiskEnv)
    return RiskRules(env.order_review_amount_threshold, env.order_review_max_orders_per_hour)


@cache
def transition_service() -> OrderService:
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.orders.service import OrderService
    from commerce.wiring.payments import operate_service

    env = from_env(TransitionEnv)
    return OrderService(
        DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", DynamoStockRepository(env.inventory_table)),
        payments=PaymentsReader(operate_service()),
        risk_rules=risk_rules,
        recall=_recall,
    )


def _recall(order_id: str) -> str | None:
    from commerce.wiring.fulfilment import workflow_service

    return workflow_service().recall(order_id)


class ReviewEnv(EnvModel):
    inventory_table: str


@cache
def review_service() -> OrderService:
    """Staff approve/reject (orders-review): the move, the stock release on a rejection, the event,
    the waiting task completed."""
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.orders.service import OrderService

    env = from_env(ReviewEnv)
    return OrderService(
        DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", DynamoStockRepository(env.inventory_table)),
        callback=StepFunctionsCallback(),
    )


@cache
def cancel_service() -> OrderService:
    """Customer and staff cancel (orders-cancel): one conditional move, then the waiting task is
    failed; the payment wait's token is on the payment record. The workflow's Cancel step does
    the rest (void or refund, stock, goods put back)."""
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.orders.service import OrderService
    from commerce.payments.service import PaymentService

    payments = PaymentsReader(PaymentService(DynamoPaymentRepository(from_env(ReadEnv).payments_table)))
    return OrderService(
        DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", NoStock()),
        payments=payments,
        callback=StepFunctionsCallback(),
    )


@cache
def retry_service() -> OrderService:
    """The declined customer's payment retry (orders-retry-payment): a move and a task completion."""
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.orders.service import OrderService

    return OrderService(
        DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", NoStock()), callback=StepFunctionsCallback()
    )


class NoStock:
    """Services that never touch stock."""

    def warm(self) -> None:
        raise RuntimeError("read-only")

    def plan(self, lines: list[tuple[str, int]]) -> list[Any]:
        raise RuntimeError("read-only")

    def replan(self, lines: list[tuple[str, int]], holds: list[Any], failed: set[str]) -> tuple[Any, dict[str, int]]:
        raise RuntimeError("read-only")

    def reserve_items(self, holds: list[Any]) -> list[dict[str, Any]]:
        raise RuntimeError("read-only")

    def release_items(self, lines: list[tuple[str, int]], record: Any = None) -> list[dict[str, Any]]:
        raise RuntimeError("read-only")

    def deduct_items(self, lines: list[tuple[str, int]], warehouse: str, record: Any = None) -> list[dict[str, Any]]:
        raise RuntimeError("read-only")
