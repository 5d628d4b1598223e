"""The Cognito admin adapter follows every page of a listing and keeps a customer id from breaking
out of a ListUsers filter. Cognito itself is stubbed (botocore Stubber): no network."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from commerce.adapters import cognito_admin
from commerce.adapters.cognito_admin import CognitoUserAdmin

POOL = "eu-west-1_pool"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    idp = boto3.client("cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(cognito_admin, "client", lambda service: idp)
    with Stubber(idp) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def user(username: str, sub: str) -> dict:
    return {
        "Username": username,
        "Attributes": [{"Name": "sub", "Value": sub}],
        "Enabled": True,
        "UserStatus": "CONFIRMED",
    }


def test_every_page_of_users_and_of_a_groups_members_is_read(stub):
    stub.add_response(
        "list_users", {"Users": [user("a", "1")], "PaginationToken": "p2"}, {"UserPoolId": POOL, "Limit": 60}
    )
    stub.add_response(
        "list_users", {"Users": [user("b", "2")]}, {"UserPoolId": POOL, "Limit": 60, "PaginationToken": "p2"}
    )
    stub.add_response(
        "list_users_in_group",
        {"Users": [user("a", "1")], "NextToken": "n2"},
        {"UserPoolId": POOL, "GroupName": "admin", "Limit": 60},
    )
    stub.add_response(
        "list_users_in_group",
        {"Users": [user("b", "2")]},
        {"UserPoolId": POOL, "GroupName": "admin", "Limit": 60, "NextToken": "n2"},
    )
    admin = CognitoUserAdmin(POOL)
    assert [(u.username, u.sub) for u in admin.users()] == [("a", "1"), ("b", "2")]
    assert admin.members_of("admin") == ["a", "b"]


def test_a_customer_id_is_quoted_in_the_filter(stub):
    stub.add_response(
        "list_users", {"Users": []}, {"UserPoolId": POOL, "Limit": 60, "Filter": 'sub = "x\\" or sub ^= \\""'}
    )
    assert CognitoUserAdmin(POOL).by_sub('x" or sub ^= "') is None
