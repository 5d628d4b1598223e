"""The customer pool's admin side for the back office: an account by customer id (the ``sub``),
disabled or enabled again (``cognito_admin``)."""

from __future__ import annotations

from commerce.adapters.cognito_admin import CognitoUserAdmin
from commerce.customers.models import CustomerAccount


class CognitoCustomerAccounts:
    def __init__(self, pool_id: str) -> None:
        self._admin = CognitoUserAdmin(pool_id)

    def account(self, customer_id: str) -> CustomerAccount | None:
        user = self._admin.by_sub(customer_id)
        if user is None:
            return None
        return CustomerAccount(
            username=user.username,
            email=user.email,
            name=user.name,
            enabled=user.enabled,
            status=user.status,
            created_at=user.created_at,
        )

    def set_enabled(self, account: CustomerAccount, enabled: bool) -> None:
        self._admin.set_enabled(account.username, enabled)
