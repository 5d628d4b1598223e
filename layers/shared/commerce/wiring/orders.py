"""Order services: placement (orders-place), reads (orders-history), transitions (orders-transition)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.common.settings import EnvModel, from_env
from commerce.orders.models import DEFAULT_PAYMENT_WINDOW_SECONDS

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
    return OrderService(DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", _NoStock()), payments=payments)


class TransitionEnv(EnvModel):
    inventory_table: str
    event_bus_name: str


@cache
def transition_service() -> OrderService:
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.orders.service import OrderService
    from commerce.wiring.payments import operate_service

    env = from_env(TransitionEnv)
    return OrderService(
        DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", DynamoStockRepository(env.inventory_table)),
        payments=PaymentsReader(operate_service()),
        events=EventBridgePublisher(env.event_bus_name),
    )


class _NoStock:
    """Reads never touch stock."""

    def reservation_items(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        raise RuntimeError("read-only")

    def release_items(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        raise RuntimeError("read-only")

    def levels(self, skus: list[str]) -> dict[str, Any]:
        raise RuntimeError("read-only")
