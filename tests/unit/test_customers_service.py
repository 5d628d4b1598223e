"""Profile and address-book rules over an in-memory repository: what a customer would notice.

The fake keeps the repository contract (see ``commerce.customers.ports``): the profile names the one
default address and counts the addresses; address writes are atomic."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from commerce.customers.errors import AddressBookFull, AddressNotFound, ConcurrentChange, InvalidCode, UnknownAccount
from commerce.customers.models import AddressInput, AddressRecord, Identity, ProfileRecord, ProfileUpdate, Tokens
from commerce.customers.service import AccountService, CustomerService

ALICE = Identity(customer_id="sub-alice", email="alice@example.com", name="Alice")
BOB = Identity(customer_id="sub-bob", email="bob@example.com", name="Bob")


class FakeCustomers:
    def __init__(self) -> None:
        self.profiles: dict[str, ProfileRecord] = {}
        self.addresses: dict[str, dict[str, AddressRecord]] = {}
        self.before_delete: Any = None  # a hook to simulate a concurrent writer

    def get_profile(self, customer_id: str) -> ProfileRecord | None:
        return self.profiles.get(customer_id)

    def create_profile(self, profile: ProfileRecord) -> ProfileRecord:
        return self.profiles.setdefault(profile.customer_id, profile)

    def update_profile(self, customer_id: str, changes: dict[str, Any], now: str) -> ProfileRecord:
        profile = self.profiles[customer_id]
        self.profiles[customer_id] = profile.model_copy(update={**changes, "updated_at": now})
        return self.profiles[customer_id]

    def load(self, customer_id: str) -> tuple[ProfileRecord | None, list[AddressRecord]]:
        return self.profiles.get(customer_id), list(self.addresses.get(customer_id, {}).values())

    def get_address(self, customer_id: str, address_id: str) -> AddressRecord | None:
        return self.addresses.get(customer_id, {}).get(address_id)

    def add_address(self, customer_id: str, address: AddressRecord, make_default: bool, limit: int) -> None:
        profile = self.profiles[customer_id]
        if profile.address_count >= limit:
            raise AddressBookFull("full")
        self.addresses.setdefault(customer_id, {})[address.address_id] = address
        default = address.address_id if make_default or profile.default_address_id is None else None
        self.profiles[customer_id] = profile.model_copy(
            update={
                "address_count": profile.address_count + 1,
                "default_address_id": default or profile.default_address_id,
            }
        )

    def replace_address(self, customer_id: str, address: AddressRecord) -> None:
        if address.address_id not in self.addresses.get(customer_id, {}):
            raise AddressNotFound("no")
        self.addresses[customer_id][address.address_id] = address

    def set_default(self, customer_id: str, address_id: str) -> None:
        if address_id not in self.addresses.get(customer_id, {}):
            raise AddressNotFound("no")
        self.profiles[customer_id] = self.profiles[customer_id].model_copy(update={"default_address_id": address_id})

    def delete_address(
        self, customer_id: str, address_id: str, expected_default: str | None, new_default: str | None
    ) -> None:
        if self.before_delete is not None:
            hook, self.before_delete = self.before_delete, None
            hook()
        book = self.addresses.get(customer_id, {})
        if address_id not in book:
            raise AddressNotFound("no")
        profile = self.profiles[customer_id]
        if profile.default_address_id != expected_default or (new_default is not None and new_default not in book):
            raise ConcurrentChange("changed")
        del book[address_id]
        default = new_default if expected_default == address_id else profile.default_address_id
        self.profiles[customer_id] = profile.model_copy(
            update={"address_count": profile.address_count - 1, "default_address_id": default}
        )


def home(city: str = "Lyon") -> AddressInput:
    return AddressInput(name="Alice Martin", line1="1 rue de la Paix", city=city, postal_code="69001", country="FR")


@pytest.fixture
def repo() -> FakeCustomers:
    return FakeCustomers()


@pytest.fixture
def service(repo: FakeCustomers) -> CustomerService:
    return CustomerService(repo, max_addresses=3)


def defaults(service: CustomerService, who: Identity = ALICE) -> list[str]:
    return [a.address_id for a in service.addresses(who.customer_id).items if a.is_default]


# ---- profile ---------------------------------------------------------------------------------------
def test_the_profile_is_created_from_the_token_claims_on_first_visit(service, repo):
    # Given a customer who has never visited; When they open their profile
    profile = service.profile(ALICE)
    # Then it is created from the verified claims, once
    assert (profile.customer_id, profile.email, profile.name) == ("sub-alice", "alice@example.com", "Alice")
    assert profile.phone is None and profile.marketing_opt_in is False
    assert service.profile(ALICE).created_at == profile.created_at and len(repo.profiles) == 1


def test_a_profile_update_changes_only_the_fields_sent_and_null_removes_the_phone(service):
    service.update_profile(ALICE, ProfileUpdate(phone="+33 6 12 34 56 78", marketing_opt_in=True))
    profile = service.update_profile(ALICE, ProfileUpdate.model_validate({"name": "Alice M."}))
    assert (profile.name, profile.phone, profile.marketing_opt_in) == ("Alice M.", "+33 6 12 34 56 78", True)
    assert service.update_profile(ALICE, ProfileUpdate.model_validate({"phone": None})).phone is None


@pytest.mark.parametrize(
    "body",
    [
        {"email": "new@example.com"},  # the sign-in identity is not changed here
        {"marketing_opt_in": "yes"},  # no coercion of strings to booleans
        {"name": 42},
        {"name": None},
        {"name": ""},
        {"phone": "call me"},
        {"nickname": "Al"},
    ],
)
def test_a_profile_update_refuses_unknown_fields_wrong_types_and_emails(body):
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate(body)


# ---- address book ----------------------------------------------------------------------------------
def test_the_first_address_becomes_the_default(service):
    first = service.add_address(ALICE, home())
    second = service.add_address(ALICE, home("Paris"))
    assert first.is_default and not second.is_default
    assert defaults(service) == [first.address_id]


def test_make_default_moves_the_one_default(service):
    first = service.add_address(ALICE, home())
    second = service.add_address(ALICE, home("Paris"), make_default=True)
    assert second.is_default and defaults(service) == [second.address_id]
    assert service.make_default("sub-alice", first.address_id).is_default
    assert defaults(service) == [first.address_id]


def test_the_list_shows_the_default_first_then_newest_first(service):
    first = service.add_address(ALICE, home("A"))
    second = service.add_address(ALICE, home("B"))
    third = service.add_address(ALICE, home("C"))
    items = service.addresses("sub-alice").items
    assert [a.address_id for a in items] == [first.address_id, third.address_id, second.address_id]


def test_the_address_book_has_a_limit(service):
    for city in "ABC":
        service.add_address(ALICE, home(city))
    with pytest.raises(AddressBookFull):
        service.add_address(ALICE, home("D"))
    assert len(service.addresses("sub-alice").items) == 3


def test_deleting_the_default_hands_it_to_the_most_recent_remaining_address(service):
    first = service.add_address(ALICE, home("A"))
    second = service.add_address(ALICE, home("B"))
    third = service.add_address(ALICE, home("C"))
    service.delete_address("sub-alice", first.address_id)
    assert defaults(service) == [third.address_id]
    service.delete_address("sub-alice", second.address_id)  # not the default: the default stays
    assert defaults(service) == [third.address_id]
    service.delete_address("sub-alice", third.address_id)
    assert service.addresses("sub-alice").items == [] and service.default_address("sub-alice") is None
    # and a deleted address frees its place in the book
    assert service.add_address(ALICE, home("D")).is_default


def test_a_delete_that_races_with_another_change_rereads_and_keeps_one_default(service, repo):
    first = service.add_address(ALICE, home("A"))
    second = service.add_address(ALICE, home("B"))
    third = service.add_address(ALICE, home("C"))
    # Given another request deletes the newest address while we delete the default
    repo.before_delete = lambda: service.delete_address("sub-alice", third.address_id)
    # When the default is deleted
    service.delete_address("sub-alice", first.address_id)
    # Then the retry picks a default that still exists
    assert defaults(service) == [second.address_id]


def test_replacing_an_address_keeps_its_identity_and_default(service):
    first = service.add_address(ALICE, home("A"))
    replaced = service.replace_address("sub-alice", first.address_id, home("Marseille"))
    assert (replaced.address_id, replaced.city, replaced.is_default) == (first.address_id, "Marseille", True)


def test_unknown_addresses_are_not_found(service):
    service.add_address(ALICE, home())
    unknown = "adr_01JAAAAAAAAAAAAAAAAAAAAAAA"
    for attempt in (
        lambda: service.get_address("sub-alice", unknown),
        lambda: service.replace_address("sub-alice", unknown, home()),
        lambda: service.delete_address("sub-alice", unknown),
        lambda: service.make_default("sub-alice", unknown),
    ):
        with pytest.raises(AddressNotFound) as raised:
            attempt()
        assert raised.value.code == "ADDRESS_NOT_FOUND" and raised.value.status == 404


def test_one_customer_cannot_reach_another_customers_address(service):
    bobs = service.add_address(BOB, home("Bob's city"))
    service.add_address(ALICE, home())
    with pytest.raises(AddressNotFound):
        service.get_address("sub-alice", bobs.address_id)
    with pytest.raises(AddressNotFound):
        service.delete_address("sub-alice", bobs.address_id)
    with pytest.raises(AddressNotFound):
        service.make_default("sub-alice", bobs.address_id)
    assert service.get_address("sub-bob", bobs.address_id).is_default


def test_checkout_reads_an_address_and_the_default(service):
    assert service.default_address("sub-nobody") is None
    first = service.add_address(ALICE, home())
    assert service.get_address("sub-alice", first.address_id) == first
    assert service.default_address("sub-alice") == first


# ---- accounts --------------------------------------------------------------------------------------
class FakeIdentities:
    def __init__(self) -> None:
        self.accounts: dict[str, str] = {"known@example.com": "Secret-Pw1"}
        self.reset_requests: list[str] = []

    def sign_up(self, email: str, password: str, name: str) -> str:
        return "sub"

    def confirm_sign_up(self, email: str, code: str) -> None:
        if email not in self.accounts:
            raise UnknownAccount()

    def sign_in(self, email: str, password: str) -> Tokens:
        return Tokens(id_token="i", access_token="a", refresh_token="r", expires_in=3600)

    def refresh(self, refresh_token: str) -> Tokens:
        return Tokens(id_token="i", access_token="a", expires_in=3600)

    def forgot_password(self, email: str) -> None:
        if email not in self.accounts:
            raise UnknownAccount()
        self.reset_requests.append(email)

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        if email not in self.accounts:
            raise UnknownAccount()

    def sign_out(self, access_token: str) -> None:
        return None


def test_a_password_reset_request_never_reveals_whether_the_account_exists():
    identities = FakeIdentities()
    accounts = AccountService(identities)
    accounts.forgot_password("known@example.com")
    accounts.forgot_password("nobody@example.com")  # no error either way
    assert identities.reset_requests == ["known@example.com"]


def test_codes_for_unknown_accounts_are_just_invalid_codes():
    accounts = AccountService(FakeIdentities())
    with pytest.raises(InvalidCode):
        accounts.reset_password("nobody@example.com", "123456", "New-Secret-Pw1")
    with pytest.raises(InvalidCode):
        accounts.confirm_sign_up("nobody@example.com", "123456")
