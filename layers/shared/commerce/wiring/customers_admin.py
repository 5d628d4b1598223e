"""The back office's customers service (customers-admin): the customers table (profiles, address
books, the directory index, staff notes), the customer pool's admin APIs, and the customer's orders
through the orders context's read service (the orders table, read only)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env
from commerce.wiring.customers import CustomersEnv
from commerce.wiring.orders import NoStock, OrdersEnv

if TYPE_CHECKING:
    from commerce.customers.admin import CustomerAdminService


class CustomerPoolEnv(EnvModel):
    customers_user_pool_id: str


@cache
def customer_admin_service() -> CustomerAdminService:
    from commerce.adapters.customers_admin_cognito import CognitoCustomerAccounts
    from commerce.adapters.customers_directory_dynamo import DynamoCustomerDirectory
    from commerce.adapters.customers_dynamo import DynamoCustomerRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.customers.admin import CustomerAdminService
    from commerce.orders.service import OrderService

    table = from_env(CustomersEnv).customers_table
    orders = OrderService(DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", NoStock()))
    return CustomerAdminService(
        DynamoCustomerRepository(table),
        DynamoCustomerDirectory(table),
        CognitoCustomerAccounts(from_env(CustomerPoolEnv).customers_user_pool_id),
        orders.history,
    )
