"""The DynamoDB repository's guarantees, on the local cloud's DynamoDB (a table of their own): the
limit holds through a counter, the default lives in one attribute, and a delete based on a stale
read is refused instead of leaving the default on a deleted address.

(Not moto's in-process ``mock_aws``: starting it resets every moto backend in the process, which
would wipe a local cloud running in the same test worker.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from commerce.adapters import customers_dynamo
from commerce.adapters.customers_dynamo import DynamoCustomerRepository
from commerce.customers.errors import AddressBookFull, AddressNotFound, ConcurrentChange
from commerce.customers.models import AddressRecord, ProfileRecord

CUSTOMER = "sub-alice"


@pytest.fixture
def repo(cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoCustomerRepository]:
    table = f"test-customers-{uuid.uuid4().hex[:12]}"
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setattr(customers_dynamo, "client", lambda service: dynamodb)
    repository = DynamoCustomerRepository(table)
    repository.create_profile(profile())
    yield repository
    dynamodb.delete_table(TableName=table)


def profile(customer_id: str = CUSTOMER) -> ProfileRecord:
    return ProfileRecord(
        customer_id=customer_id,
        email="alice@example.com",
        name="Alice",
        phone=None,
        marketing_opt_in=False,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
    )


def record(n: int) -> AddressRecord:
    return AddressRecord(
        address_id=f"adr_{n:026d}",
        name="Alice",
        line1="1 rue de la Paix",
        city=f"City {n}",
        postal_code="69001",
        country="FR",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        ordinal=n,
    )


def default_of(repo: DynamoCustomerRepository) -> str | None:
    stored = repo.get_profile(CUSTOMER)
    assert stored is not None
    return stored.default_address_id


def test_a_profile_is_created_once_and_updated_in_place(repo):
    again = profile()
    assert repo.create_profile(again.model_copy(update={"name": "Someone else"})).name == "Alice"
    updated = repo.update_profile(CUSTOMER, {"phone": "+33 6 12 34 56 78", "marketing_opt_in": True}, "2026-02-01")
    assert (updated.phone, updated.marketing_opt_in, updated.updated_at) == ("+33 6 12 34 56 78", True, "2026-02-01")
    assert repo.update_profile(CUSTOMER, {"phone": None}, "2026-02-02").phone is None


def test_the_first_address_is_the_default_and_make_default_moves_it(repo):
    repo.add_address(CUSTOMER, record(1), make_default=False, limit=5)
    repo.add_address(CUSTOMER, record(2), make_default=False, limit=5)
    assert default_of(repo) == record(1).address_id
    repo.add_address(CUSTOMER, record(3), make_default=True, limit=5)
    assert default_of(repo) == record(3).address_id
    stored, addresses = repo.load(CUSTOMER)
    assert stored is not None and stored.address_count == 3 and len(addresses) == 3
    assert repo.get_address(CUSTOMER, record(3).address_id) == record(3)


def test_the_limit_is_enforced_by_the_counter(repo):
    for n in range(3):
        repo.add_address(CUSTOMER, record(n), make_default=False, limit=3)
    with pytest.raises(AddressBookFull):
        repo.add_address(CUSTOMER, record(9), make_default=True, limit=3)
    assert repo.get_address(CUSTOMER, record(9).address_id) is None and default_of(repo) == record(0).address_id
    repo.delete_address(CUSTOMER, record(1).address_id, expected_default=record(0).address_id, new_default=None)
    repo.add_address(CUSTOMER, record(9), make_default=False, limit=3)


def test_set_default_and_replace_need_an_existing_address(repo):
    repo.add_address(CUSTOMER, record(1), make_default=False, limit=5)
    with pytest.raises(AddressNotFound):
        repo.set_default(CUSTOMER, record(2).address_id)
    with pytest.raises(AddressNotFound):
        repo.replace_address(CUSTOMER, record(2))
    with pytest.raises(AddressNotFound):  # another customer's partition holds nothing of Alice's
        repo.set_default("sub-bob", record(1).address_id)
    assert default_of(repo) == record(1).address_id


def test_deleting_the_default_hands_it_over_atomically(repo):
    for n in (1, 2):
        repo.add_address(CUSTOMER, record(n), make_default=False, limit=5)
    repo.delete_address(
        CUSTOMER, record(1).address_id, expected_default=record(1).address_id, new_default=record(2).address_id
    )
    assert default_of(repo) == record(2).address_id
    repo.delete_address(CUSTOMER, record(2).address_id, expected_default=record(2).address_id, new_default=None)
    stored, addresses = repo.load(CUSTOMER)
    assert stored is not None and stored.default_address_id is None and stored.address_count == 0 and addresses == []


def test_a_delete_based_on_a_stale_read_is_refused(repo):
    for n in (1, 2, 3):
        repo.add_address(CUSTOMER, record(n), make_default=False, limit=5)
    # the default moved since the caller read it
    repo.set_default(CUSTOMER, record(2).address_id)
    with pytest.raises(ConcurrentChange):
        repo.delete_address(CUSTOMER, record(3).address_id, expected_default=record(1).address_id, new_default=None)
    # the address chosen to become the default has been deleted meanwhile
    repo.delete_address(CUSTOMER, record(3).address_id, expected_default=record(2).address_id, new_default=None)
    with pytest.raises(ConcurrentChange):
        repo.delete_address(
            CUSTOMER, record(2).address_id, expected_default=record(2).address_id, new_default=record(3).address_id
        )
    assert default_of(repo) == record(2).address_id and repo.get_address(CUSTOMER, record(2).address_id) is not None
    # and an address that is not there is simply not found
    with pytest.raises(AddressNotFound):
        repo.delete_address(CUSTOMER, record(3).address_id, expected_default=record(2).address_id, new_default=None)
