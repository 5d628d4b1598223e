"""Customer use cases. Pure logic over the ports; no AWS here.

- ``AccountService``: sign-up, verification, sign-in, refresh, password reset and sign-out through
  the identity provider (the Cognito customer pool), never revealing whether an email has an account
  beyond what sign-up must (EMAIL_TAKEN).
- ``CustomerService``: the signed-in customer's profile and address book, and the read API other
  contexts use (checkout: ``get_address``, ``default_address``). Everything is keyed by the verified
  customer id, so one customer can never name another's data.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress

from commerce.common.clock import iso, new_id
from commerce.customers.errors import AddressNotFound, ConcurrentChange, InvalidCode, UnknownAccount
from commerce.customers.models import (
    Address,
    AddressBook,
    AddressInput,
    AddressRecord,
    Identity,
    Profile,
    ProfileRecord,
    ProfileUpdate,
    Tokens,
)
from commerce.customers.ports import CustomerRepository, IdentityProvider

MAX_ADDRESSES = 20
DELETE_ATTEMPTS = 5

_ordinal_lock = threading.Lock()
_last_ordinal = 0


def _next_ordinal() -> int:
    """Nanoseconds since the epoch, strictly increasing within a process, so two addresses added in
    the same millisecond still have an order ("the most recent" is well defined)."""
    global _last_ordinal
    with _ordinal_lock:
        _last_ordinal = max(time.time_ns(), _last_ordinal + 1)
        return _last_ordinal


def _newest_first(record: AddressRecord) -> tuple[int, str, str]:
    return (record.ordinal, record.created_at, record.address_id)


class AccountService:
    def __init__(self, identities: IdentityProvider) -> None:
        self._identities = identities

    def sign_up(self, email: str, password: str, name: str) -> str:
        return self._identities.sign_up(email, password, name)

    def confirm_sign_up(self, email: str, code: str) -> None:
        try:
            self._identities.confirm_sign_up(email, code)
        except UnknownAccount:
            raise InvalidCode("The code is not valid for this email.") from None

    def sign_in(self, email: str, password: str) -> Tokens:
        return self._identities.sign_in(email, password)

    def refresh(self, refresh_token: str) -> Tokens:
        return self._identities.refresh(refresh_token)

    def forgot_password(self, email: str) -> None:
        """Always accepted: whether the email has an account is not revealed."""
        with suppress(UnknownAccount):
            self._identities.forgot_password(email)

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        try:
            self._identities.reset_password(email, code, new_password)
        except UnknownAccount:
            raise InvalidCode("The code is not valid for this email.") from None

    def sign_out(self, access_token: str) -> None:
        self._identities.sign_out(access_token)


class CustomerService:
    def __init__(self, customers: CustomerRepository, max_addresses: int = MAX_ADDRESSES) -> None:
        self._customers = customers
        self._max_addresses = max_addresses

    # ---- profile ------------------------------------------------------------------------------
    def profile(self, who: Identity) -> Profile:
        return self._ensure_profile(who).public()

    def update_profile(self, who: Identity, update: ProfileUpdate) -> Profile:
        profile = self._ensure_profile(who)
        changes = update.changes()
        if not changes:
            return profile.public()
        return self._customers.update_profile(who.customer_id, changes, iso()).public()

    def _ensure_profile(self, who: Identity) -> ProfileRecord:
        """The profile, created from the token's claims the first time the customer shows up."""
        existing = self._customers.get_profile(who.customer_id)
        if existing is not None:
            return existing
        now = iso()
        return self._customers.create_profile(
            ProfileRecord(
                customer_id=who.customer_id,
                email=who.email,
                name=who.name,
                phone=None,
                marketing_opt_in=False,
                created_at=now,
                updated_at=now,
            )
        )

    # ---- address book -------------------------------------------------------------------------
    def addresses(self, customer_id: str) -> AddressBook:
        return address_book(*self._customers.load(customer_id))

    def add_address(self, who: Identity, address: AddressInput, make_default: bool = False) -> Address:
        self._ensure_profile(who)
        now = iso()
        record = AddressRecord(
            **address.model_dump(),
            address_id=new_id("adr"),
            created_at=now,
            updated_at=now,
            ordinal=_next_ordinal(),
        )
        self._customers.add_address(who.customer_id, record, make_default, self._max_addresses)
        return self.get_address(who.customer_id, record.address_id)

    def replace_address(
        self, customer_id: str, address_id: str, address: AddressInput, make_default: bool = False
    ) -> Address:
        current = self._customers.get_address(customer_id, address_id)
        if current is None:
            raise _not_found(address_id)
        record = AddressRecord(
            **address.model_dump(),
            address_id=address_id,
            created_at=current.created_at,
            updated_at=iso(),
            ordinal=current.ordinal,
        )
        self._customers.replace_address(customer_id, record)
        if make_default:
            self._customers.set_default(customer_id, address_id)
        return self.get_address(customer_id, address_id)

    def make_default(self, customer_id: str, address_id: str) -> Address:
        self._customers.set_default(customer_id, address_id)
        return self.get_address(customer_id, address_id)

    def delete_address(self, customer_id: str, address_id: str) -> None:
        """Deletes it; if it was the default, the most recently added remaining address takes over."""
        for _ in range(DELETE_ATTEMPTS):
            profile, records = self._customers.load(customer_id)
            if profile is None or all(r.address_id != address_id for r in records):
                raise _not_found(address_id)
            default = profile.default_address_id
            new_default = default
            if default == address_id:
                rest = [r for r in records if r.address_id != address_id]
                newest = max(rest, key=_newest_first, default=None)
                new_default = newest.address_id if newest else None
            try:
                self._customers.delete_address(customer_id, address_id, default, new_default)
                return
            except ConcurrentChange:
                continue
        raise ConcurrentChange(f"the address book of {customer_id} kept changing")

    # ---- for other contexts (checkout) --------------------------------------------------------
    def get_address(self, customer_id: str, address_id: str) -> Address:
        record = self._customers.get_address(customer_id, address_id)
        if record is None:
            raise _not_found(address_id)
        profile = self._customers.get_profile(customer_id)
        return record.public(profile.default_address_id if profile else None)

    def default_address(self, customer_id: str) -> Address | None:
        profile = self._customers.get_profile(customer_id)
        if profile is None or profile.default_address_id is None:
            return None
        record = self._customers.get_address(customer_id, profile.default_address_id)
        return record.public(profile.default_address_id) if record else None


def address_book(profile: ProfileRecord | None, records: list[AddressRecord]) -> AddressBook:
    """The default address first, then newest first."""
    default = profile.default_address_id if profile else None
    ordered = sorted(records, key=_newest_first, reverse=True)
    ordered.sort(key=lambda r: r.address_id != default)  # stable: the default first, then newest
    return AddressBook(items=[r.public(default) for r in ordered])


def _not_found(address_id: str) -> AddressNotFound:
    return AddressNotFound(f"There is no address '{address_id}' in your address book.", address_id=address_id)
