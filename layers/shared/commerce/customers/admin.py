"""The back office's customers (permission MANAGE_CUSTOMERS): list and search, one customer with
their addresses, orders and staff notes, notes, and disabling or re-enabling the account.

Pure logic over the ports; the customer's orders come through the orders context's read service
(a callable), never from its table."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from commerce.audit import log as audit_log
from commerce.common.clock import iso, new_id
from commerce.customers.directory import normalise
from commerce.customers.errors import CustomerNotFound, InvalidSearch
from commerce.customers.models import Address, CustomerAccount, CustomerList, StaffNote
from commerce.customers.ports import CustomerAccounts, CustomerDirectory, CustomerRepository
from commerce.customers.service import address_book
from commerce.orders.models import OrderPage, OrderSummary

CUSTOMERS = "customers"  # the audit log's entity type
ORDERS_SHOWN = 20
NOTES_SHOWN = 50

OrdersOf = Callable[[str, int, str | None], OrderPage]  # (customer id, limit, cursor): newest first


class CustomerRecord(BaseModel):
    """The customer as staff see them: the profile (absent until the customer's first visit to
    their account) and the sign-in account."""

    customer_id: str
    email: str | None
    name: str | None
    phone: str | None
    marketing_opt_in: bool
    created_at: str | None
    enabled: bool | None = Field(description="Whether they can sign in; null if the account is gone")
    status: str | None = Field(description="Cognito's user status; null if the account is gone")


class CustomerDetail(BaseModel):
    customer: CustomerRecord
    addresses: list[Address] = Field(description="The default first, then newest first")
    orders: list[OrderSummary] = Field(description=f"The {ORDERS_SHOWN} most recent orders")
    more_orders: bool = Field(description="The customer has older orders than these (see the orders list)")
    notes: list[StaffNote] = Field(description=f"The {NOTES_SHOWN} most recent staff notes, newest first")


class CustomerAdminService:
    def __init__(
        self,
        customers: CustomerRepository,
        directory: CustomerDirectory,
        accounts: CustomerAccounts,
        orders: OrdersOf,
    ) -> None:
        self._customers = customers
        self._directory = directory
        self._accounts = accounts
        self._orders = orders

    def browse(self, query: str | None, limit: int, cursor: str | None) -> CustomerList:
        if query is None:
            customers, next_cursor = self._directory.newest(limit, cursor)
        else:
            term = normalise(query)
            if not term:
                raise InvalidSearch("Search for at least one letter or digit.", parameter="q")
            customers, next_cursor = self._directory.search(term, limit, cursor)
        return CustomerList(customers=customers, next_cursor=next_cursor)

    def detail(self, customer_id: str) -> CustomerDetail:
        profile, addresses = self._customers.load(customer_id)
        account = self._accounts.account(customer_id)
        if profile is None and account is None:
            raise _not_found(customer_id)
        source = profile or account
        assert source is not None
        record = CustomerRecord(
            customer_id=customer_id,
            email=source.email,
            name=source.name,
            phone=profile.phone if profile else None,
            marketing_opt_in=profile.marketing_opt_in if profile else False,
            created_at=source.created_at,
            enabled=account.enabled if account else None,
            status=account.status if account else None,
        )
        orders = self._orders(customer_id, ORDERS_SHOWN, None)
        return CustomerDetail(
            customer=record,
            addresses=address_book(profile, addresses).items,
            orders=orders.orders,
            more_orders=orders.next_cursor is not None,
            notes=self._directory.notes(customer_id, NOTES_SHOWN),
        )

    def add_note(self, customer_id: str, text: str, author: str, author_email: str | None) -> StaffNote:
        if self._customers.get_profile(customer_id) is None and self._accounts.account(customer_id) is None:
            raise _not_found(customer_id)
        note = StaffNote(note_id=new_id("note"), text=text, author=author, author_email=author_email, created_at=iso())
        self._directory.add_note(customer_id, note)
        audit_log.changed(CUSTOMERS, customer_id, None, {"note_id": note.note_id, "note": note.text})
        return note

    def set_enabled(self, customer_id: str, enabled: bool) -> CustomerAccount:
        """Idempotent. Disabled: they cannot sign in and their refresh tokens stop working (an ID
        token already issued lasts until it expires, at most an hour)."""
        account = self._accounts.account(customer_id)
        if account is None:
            raise _not_found(customer_id)
        self._accounts.set_enabled(account, enabled)
        audit_log.changed(CUSTOMERS, customer_id, {"enabled": account.enabled}, {"enabled": enabled})
        return account.model_copy(update={"enabled": enabled})


def _not_found(customer_id: str) -> CustomerNotFound:
    return CustomerNotFound(f"No customer {customer_id!r}.", customer_id=customer_id)
