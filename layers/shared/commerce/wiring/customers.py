"""Customer services. ``customer_service`` needs only the customers table (checkout uses it too and
has no user pool); ``account_service`` needs the customer user pool's app client."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.customers.service import AccountService, CustomerService


class CustomersEnv(EnvModel):
    customers_table: str


class AccountsEnv(EnvModel):
    customers_user_pool_id: str
    customers_user_pool_client_id: str


@cache
def customer_service() -> CustomerService:
    from commerce.adapters.customers_dynamo import DynamoCustomerRepository
    from commerce.customers.service import CustomerService

    return CustomerService(DynamoCustomerRepository(from_env(CustomersEnv).customers_table))


@cache
def account_service() -> AccountService:
    from commerce.adapters.customers_cognito import CognitoIdentityProvider
    from commerce.customers.service import AccountService

    return AccountService(CognitoIdentityProvider(from_env(AccountsEnv).customers_user_pool_client_id))
