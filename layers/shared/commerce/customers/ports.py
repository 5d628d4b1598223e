"""What the customers context needs from the outside world. Adapters live in ``commerce.adapters``."""

from __future__ import annotations

from typing import Any, Protocol

from commerce.customers.models import (
    AddressRecord,
    CustomerAccount,
    CustomerSummary,
    ProfileRecord,
    StaffNote,
    Tokens,
)


class IdentityProvider(Protocol):
    """The customer user pool, through its public (app client) APIs.

    Each method raises the domain errors in ``commerce.customers.errors``; ``UnknownAccount`` when
    the email has no account (callers decide whether to reveal that: the API never does)."""

    def sign_up(self, email: str, password: str, name: str) -> str:
        """Creates an unconfirmed account; returns its subject (the customer id)."""
        ...

    def confirm_sign_up(self, email: str, code: str) -> None: ...

    def sign_in(self, email: str, password: str) -> Tokens: ...

    def refresh(self, refresh_token: str) -> Tokens: ...

    def forgot_password(self, email: str) -> None: ...

    def reset_password(self, email: str, code: str, new_password: str) -> None: ...

    def sign_out(self, access_token: str) -> None:
        """Revokes every refresh token of the account; its access tokens stop working."""
        ...


class CustomerRepository(Protocol):
    """Profiles and address books, one partition per customer.

    Writes that touch the address book are atomic: the profile holds ``default_address_id`` and
    ``address_count`` and is updated in the same transaction as the address."""

    def get_profile(self, customer_id: str) -> ProfileRecord | None: ...

    def create_profile(self, profile: ProfileRecord) -> ProfileRecord:
        """Stores it unless one exists already; returns the stored one either way."""
        ...

    def update_profile(self, customer_id: str, changes: dict[str, Any], now: str) -> ProfileRecord:
        """Sets the given fields (None removes one) on an existing profile; returns the result."""
        ...

    def load(self, customer_id: str) -> tuple[ProfileRecord | None, list[AddressRecord]]:
        """The profile and every address, read together (consistent)."""
        ...

    def get_address(self, customer_id: str, address_id: str) -> AddressRecord | None: ...

    def add_address(self, customer_id: str, address: AddressRecord, make_default: bool, limit: int) -> None:
        """Atomically: stores the address, counts it (AddressBookFull when ``limit`` are stored
        already) and makes it the default if ``make_default`` or there is no default yet."""
        ...

    def replace_address(self, customer_id: str, address: AddressRecord) -> None:
        """Replaces an existing address (keeps its created_at); AddressNotFound if there is none."""
        ...

    def set_default(self, customer_id: str, address_id: str) -> None:
        """Makes an existing address the default; AddressNotFound if it does not exist."""
        ...

    def delete_address(
        self, customer_id: str, address_id: str, expected_default: str | None, new_default: str | None
    ) -> None:
        """Atomically deletes the address and, when it is the default, hands the default to
        ``new_default`` (which must still exist). ``expected_default`` is the default the caller
        read; if it changed meanwhile (or ``new_default`` has gone), raises ConcurrentChange.
        AddressNotFound if the address does not exist."""
        ...


class CustomerDirectory(Protocol):
    """The back office's view of every customer: an index kept with the profiles (listing newest
    first, prefix search on the terms of ``commerce.customers.directory``) and the staff notes."""

    def newest(self, limit: int, cursor: str | None) -> tuple[list[CustomerSummary], str | None]: ...

    def search(self, query: str, limit: int, cursor: str | None) -> tuple[list[CustomerSummary], str | None]:
        """``query`` is normalised and not empty; each customer at most once across all pages."""
        ...

    def add_note(self, customer_id: str, note: StaffNote) -> None: ...

    def notes(self, customer_id: str, limit: int) -> list[StaffNote]:
        """Newest first."""
        ...


class CustomerAccounts(Protocol):
    """The customer pool's admin side."""

    def account(self, customer_id: str) -> CustomerAccount | None: ...

    def set_enabled(self, account: CustomerAccount, enabled: bool) -> None:
        """A disabled customer cannot sign in, and their refresh tokens stop working."""
        ...
