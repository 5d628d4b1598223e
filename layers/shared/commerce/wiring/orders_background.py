"""Orders' background functions: the outbox publisher (orders-publish-events), the reservation
sweeper (orders-sweep-reservations) and reconciliation (orders-reconcile)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.orders.outbox import Outbox
    from commerce.orders.reconcile import Reconciler
    from commerce.orders.sweeper import Sweeper


class OutboxEnv(EnvModel):
    event_bus_name: str


@cache
def outbox() -> Outbox:
    from commerce.adapters.events import EventBridgeBatchPublisher
    from commerce.orders.outbox import Outbox

    return Outbox(EventBridgeBatchPublisher(from_env(OutboxEnv).event_bus_name))


class SweeperEnv(EnvModel):
    orders_table: str
    inventory_table: str
    order_lifecycle_state_machine_arn: str


@cache
def sweeper() -> Sweeper:
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.orders.sweeper import Sweeper
    from commerce.wiring.orders import PaymentsReader
    from commerce.wiring.payments import operate_service

    env = from_env(SweeperEnv)
    return Sweeper(
        DynamoOrderRepository(env.orders_table, "", DynamoStockRepository(env.inventory_table)),
        StepFunctionsWorkflow(env.order_lifecycle_state_machine_arn),
        payments=PaymentsReader(operate_service()),
    )


class ReconcilerEnv(EnvModel):
    orders_table: str
    order_lifecycle_state_machine_arn: str


@cache
def reconciler() -> Reconciler:
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.orders.reconcile import Reconciler
    from commerce.wiring.orders import NoStock

    env = from_env(ReconcilerEnv)
    return Reconciler(
        DynamoOrderRepository(env.orders_table, "", NoStock()),
        StepFunctionsWorkflow(env.order_lifecycle_state_machine_arn),
    )
