"""Fulfilment services: the dispatch handler, the partner webhooks, and the workflow's Ship and
Complete steps (reached through orders-transition)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env
from commerce.fulfilment.service import DEFAULT_RETURN_WINDOW_SECONDS

if TYPE_CHECKING:
    from commerce.fulfilment.service import FulfilmentService


class OrdersEnv(EnvModel):
    orders_table: str


class WarehouseEnv(EnvModel):
    warehouse_system_url: str


class InventoryEnv(EnvModel):
    inventory_table: str


class ReturnWindowEnv(EnvModel):
    # How long after delivery a return may be asked for before the order completes (seconds).
    # Unset on AWS: 14 days; the local cloud's tests set a few seconds.
    order_return_window_seconds: int = DEFAULT_RETURN_WINDOW_SECONDS


def return_window() -> int:
    return from_env(ReturnWindowEnv).order_return_window_seconds


def _orders(with_stock: bool = False):  # type: ignore[no-untyped-def]
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.wiring.orders import NoStock

    stock = DynamoStockRepository(from_env(InventoryEnv).inventory_table) if with_stock else NoStock()
    return DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", stock)


@cache
def dispatch_service() -> FulfilmentService:
    """fulfilment-dispatch: the order partition, the warehouse system, the Dispatch task's token."""
    from commerce.adapters.warehouse_http import HttpWarehouseSystem
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.fulfilment.service import FulfilmentService

    return FulfilmentService(
        _orders(),
        warehouse=HttpWarehouseSystem(from_env(WarehouseEnv).warehouse_system_url),
        callback=StepFunctionsCallback(),
    )


@cache
def webhook_service() -> FulfilmentService:
    """The warehouse and carrier webhooks: the order partition and the waiting tasks."""
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.fulfilment.service import FulfilmentService

    return FulfilmentService(_orders(), callback=StepFunctionsCallback(), return_window=return_window)


@cache
def workflow_service() -> FulfilmentService:
    """orders-transition's ship / complete / recall: capture, deduct stock, put back."""
    from commerce.adapters.warehouse_http import HttpWarehouseSystem
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.fulfilment.service import FulfilmentService
    from commerce.wiring.orders import PaymentsReader
    from commerce.wiring.payments import operate_service

    return FulfilmentService(
        _orders(with_stock=True),
        warehouse=HttpWarehouseSystem(from_env(WarehouseEnv).warehouse_system_url),
        callback=StepFunctionsCallback(),
        payments=PaymentsReader(operate_service()),
        return_window=return_window,
    )
