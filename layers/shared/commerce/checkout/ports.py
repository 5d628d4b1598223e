"""What checkout needs from other contexts and from storage."""

from __future__ import annotations

from typing import Protocol

from commerce.checkout.models import StoredQuote
from commerce.customers.models import Address


class AddressBook(Protocol):
    def get_address(self, customer_id: str, address_id: str) -> Address:
        """The customer's saved address; raises a 404 DomainError when they have none by that id."""
        ...


class QuoteStore(Protocol):
    def save(self, quote: StoredQuote) -> None: ...

    def get(self, quote_id: str) -> StoredQuote | None: ...


class QuoteSigner(Protocol):
    def key(self) -> bytes:
        """The HMAC key quote tokens are signed with."""
        ...
