"""Profiles and address books on DynamoDB.

Layout (table ``customers``), one partition per customer (``CUSTOMER#<sub>``):
- ``PROFILE``: the profile, ``default_address_id`` (the one default, by construction) and
  ``address_count`` (the address book's size, so the limit holds under concurrent adds);
- ``ADDRESS#<address_id>``: one saved address;
- ``TERM#<term>``: the back office's search entries, written with the profile (same transaction),
  and the PROFILE item's ``dir_pk``/``dir_sk`` (customers_directory_dynamo.py).

Every write that touches both is one transaction with conditions, so concurrent requests cannot
leave two defaults, a default pointing at a deleted address, or more addresses than the limit.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.customers_directory_dynamo import profile_entry, term_items
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.common.errors import is_throttling
from commerce.customers.errors import AddressBookFull, AddressNotFound, ConcurrentChange
from commerce.customers.models import AddressRecord, ProfileRecord

PROFILE = "PROFILE"
ADDRESS = "ADDRESS#"
RENAME_ATTEMPTS = 3


def _pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


class DynamoCustomerRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def _key(self, customer_id: str, sk: str) -> dict[str, Any]:
        return marshal({"pk": _pk(customer_id), "sk": sk})

    # ---- profile ------------------------------------------------------------------------------
    def get_profile(self, customer_id: str) -> ProfileRecord | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=self._key(customer_id, PROFILE), ConsistentRead=True)
            .get("Item")
        )
        return _profile(unmarshal(item)) if item else None

    def create_profile(self, profile: ProfileRecord) -> ProfileRecord:
        """The profile and its search entries, in one transaction."""
        item = {
            "pk": _pk(profile.customer_id),
            "sk": PROFILE,
            **profile.model_dump(exclude_none=True),
            **profile_entry(profile.customer_id, profile.created_at),
        }
        terms = term_items(profile.customer_id, profile.email, profile.name, profile.created_at)
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *({"Put": {"TableName": self._table, "Item": marshal(term)}} for term in terms.values()),
        ]
        try:
            refused = bool(_transact(items))
        except ConcurrentChange:  # another first visit's transaction, at the same moment
            refused = True
        if refused:
            existing = self.get_profile(profile.customer_id)  # created concurrently: keep that one
            if existing is None:
                raise ConcurrentChange(f"the profile of {profile.customer_id} is being created")
            return existing
        return profile

    def update_profile(self, customer_id: str, changes: dict[str, Any], now: str) -> ProfileRecord:
        if "name" in changes:
            return self._rename(customer_id, changes, now)
        request = self._update(customer_id, changes, now)
        result = client("dynamodb").update_item(**request, ReturnValues="ALL_NEW")
        return _profile(unmarshal(result["Attributes"]))

    def _rename(self, customer_id: str, changes: dict[str, Any], now: str) -> ProfileRecord:
        """A new name changes the search entries: the profile and its TERM items in one transaction,
        guarded by the name read, so a concurrent rename cannot leave stale entries."""
        for _ in range(RENAME_ATTEMPTS):
            current = self.get_profile(customer_id)
            if current is None:
                raise ConcurrentChange(f"the profile of {customer_id} does not exist")
            old = term_items(customer_id, current.email, current.name, current.created_at)
            new = term_items(customer_id, current.email, changes["name"], current.created_at)
            update = self._update(customer_id, changes, now)  # names #name: the name is among the changes
            if current.name is None:
                update["ConditionExpression"] += " AND attribute_not_exists(#name)"
            else:
                update["ConditionExpression"] += " AND #name = :old_name"
                update["ExpressionAttributeValues"] |= values(old_name=current.name)
            items = [
                {"Update": update},
                *(
                    {"Delete": {"TableName": self._table, "Key": self._key(customer_id, sk)}}
                    for sk in old.keys() - new.keys()
                ),
                *({"Put": {"TableName": self._table, "Item": marshal(term)}} for term in new.values()),
            ]
            with suppress(ConcurrentChange):  # a transaction conflict: read again and retry
                if not _transact(items):
                    return _profile_after(self.get_profile(customer_id))
        raise ConcurrentChange(f"the profile of {customer_id} kept changing")

    def _update(self, customer_id: str, changes: dict[str, Any], now: str) -> dict[str, Any]:
        sets = {k: v for k, v in changes.items() if v is not None}
        removes = [k for k, v in changes.items() if v is None]
        names = {f"#{k}": k for k in changes}
        expression = "SET " + ", ".join([*(f"#{k} = :{k}" for k in sets), "updated_at = :now"])
        if removes:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removes)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(customer_id, PROFILE),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": values(**sets, now=now),
        }
        if names:
            request["ExpressionAttributeNames"] = names
        return request

    # ---- address book -------------------------------------------------------------------------
    def load(self, customer_id: str) -> tuple[ProfileRecord | None, list[AddressRecord]]:
        profile: ProfileRecord | None = None
        addresses: list[AddressRecord] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": values(pk=_pk(customer_id)),
            "ConsistentRead": True,
        }
        while True:
            page = client("dynamodb").query(**request)
            for raw in page.get("Items", []):
                item = unmarshal(raw)
                if item["sk"] == PROFILE:
                    profile = _profile(item)
                elif str(item["sk"]).startswith(ADDRESS):
                    addresses.append(_address(item))
            if "LastEvaluatedKey" not in page:
                return profile, addresses
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_address(self, customer_id: str, address_id: str) -> AddressRecord | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self._table, Key=self._key(customer_id, ADDRESS + address_id), ConsistentRead=True)
            .get("Item")
        )
        return _address(unmarshal(item)) if item else None

    def add_address(self, customer_id: str, address: AddressRecord, make_default: bool, limit: int) -> None:
        default = ":id" if make_default else "if_not_exists(default_address_id, :id)"
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(customer_id, PROFILE),
                    "UpdateExpression": (
                        f"SET address_count = if_not_exists(address_count, :zero) + :one, default_address_id = {default}"
                    ),
                    "ConditionExpression": "attribute_exists(pk) AND (attribute_not_exists(address_count) OR address_count < :limit)",
                    "ExpressionAttributeValues": values(zero=0, one=1, limit=limit, id=address.address_id),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(_address_item(customer_id, address)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        reasons = _transact(items)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise AddressBookFull(
                f"An address book holds at most {limit} addresses; delete one first.", max_addresses=limit
            )
        if reasons:
            raise ConcurrentChange(f"address {address.address_id} exists already")

    def replace_address(self, customer_id: str, address: AddressRecord) -> None:
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=marshal(_address_item(customer_id, address)),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise _not_found(address.address_id) from None
            raise

    def set_default(self, customer_id: str, address_id: str) -> None:
        items = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": self._key(customer_id, ADDRESS + address_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(customer_id, PROFILE),
                    "UpdateExpression": "SET default_address_id = :id",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": values(id=address_id),
                }
            },
        ]
        if _transact(items):
            raise _not_found(address_id)

    def delete_address(
        self, customer_id: str, address_id: str, expected_default: str | None, new_default: str | None
    ) -> None:
        if expected_default is None:
            guard, guard_values = "attribute_not_exists(default_address_id)", {}
        else:
            guard, guard_values = "default_address_id = :expected", {"expected": expected_default}
        if new_default is None:
            change, change_values = "REMOVE default_address_id", {}
        else:
            change, change_values = "SET default_address_id = :new", {"new": new_default}
        update_expression = "ADD address_count :minus_one"
        if expected_default == address_id:
            update_expression = f"{change} {update_expression}"
        else:
            change_values = {}
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(customer_id, ADDRESS + address_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(customer_id, PROFILE),
                    "UpdateExpression": update_expression,
                    "ConditionExpression": f"attribute_exists(pk) AND {guard}",
                    "ExpressionAttributeValues": values(minus_one=-1, **guard_values, **change_values),
                }
            },
        ]
        if expected_default == address_id and new_default is not None:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": self._key(customer_id, ADDRESS + new_default),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        reasons = _transact(items)
        if not reasons:
            return
        if reasons[0] == "ConditionalCheckFailed":
            raise _not_found(address_id)
        raise ConcurrentChange(f"the address book of {customer_id} changed")


def _transact(items: list[dict[str, Any]]) -> list[str]:
    """Runs a transaction: [] when it committed, else each item's cancellation reason code."""
    try:
        client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as error:
        if _code(error) != "TransactionCanceledException" or is_throttling(error):
            raise  # a throttled transaction wrote nothing: 503 from the API, never a conflict
        reasons = [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons") or []]
        if not any(r == "ConditionalCheckFailed" for r in reasons):
            raise ConcurrentChange("the transaction conflicted with another write") from None
        return reasons
    return []


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _not_found(address_id: str) -> AddressNotFound:
    return AddressNotFound(f"There is no address '{address_id}' in your address book.", address_id=address_id)


def _address_item(customer_id: str, address: AddressRecord) -> dict[str, Any]:
    return {"pk": _pk(customer_id), "sk": ADDRESS + address.address_id, **address.model_dump(exclude_none=True)}


def _profile_after(profile: ProfileRecord | None) -> ProfileRecord:
    if profile is None:  # profiles are never deleted
        raise ConcurrentChange("the profile disappeared")
    return profile


def _profile(item: dict[str, Any]) -> ProfileRecord:
    data = {k: v for k, v in item.items() if k in ProfileRecord.model_fields}
    data.setdefault("email", None)
    data.setdefault("name", None)
    data.setdefault("phone", None)
    return ProfileRecord.model_validate(data)


def _address(item: dict[str, Any]) -> AddressRecord:
    return AddressRecord.model_validate({k: v for k, v in item.items() if k in AddressRecord.model_fields})
