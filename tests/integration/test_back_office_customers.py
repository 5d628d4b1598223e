"""The back office's customers over HTTP against the local cloud: the list (newest first) and the
search (a prefix of the email, the name or a word of it, case- and accent-insensitive, from the
directory index, each customer once), one customer with addresses, orders and staff notes, notes,
and disabling an account (the customer then cannot sign in) and enabling it again. Every route
refuses a customer's token (401) and a warehouse member (403) and changes nothing then."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from infra.topology import TOPOLOGY
from tests.integration.support import assert_problem, auth
from tests.integration.test_order_lifecycle import placed
from tests.integration.test_orders_api import new_sku

PASSWORD = "Correct-Horse-9"


class Shopper:
    """A confirmed customer who has visited their account (so their profile exists)."""

    def __init__(self, api: Any, cloud: Any, name: str | None = None, email: str | None = None) -> None:
        self.email = email or f"shopper-{uuid.uuid4().hex[:10]}@example.com"
        cloud.create_user("customers", self.email, PASSWORD)
        self.token = cloud.sign_in("customers", self.email, PASSWORD)
        me = api.get("/me", headers=auth(self.token))
        assert me.status_code == 200, me.text
        self.customer_id = str(me.json()["customer_id"])
        if name:
            renamed = api.patch("/me", headers=auth(self.token), json={"name": name})
            assert renamed.status_code == 200, renamed.text


def customers(api: Any, token: str, query: str = "", **params: Any) -> list[str]:
    """Every customer id the listing returns for this query, following the cursors."""
    found: list[str] = []
    cursor = None
    while True:
        page_params = {**params, **({"q": query} if query else {}), **({"cursor": cursor} if cursor else {})}
        response = api.get("/admin/customers", headers=auth(token), params=page_params)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [c["customer_id"] for c in page["customers"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def audit_history(cloud: Any, customer_id: str) -> list[dict[str, Any]]:
    return cloud.client("dynamodb").query(
        TableName=cloud.physical("audit"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ENTITY#customers#{customer_id}"}},
    )["Items"]


def enabled(cloud: Any, email: str) -> bool:
    return bool(
        cloud.client("cognito-idp").admin_get_user(UserPoolId=cloud.pools["customers"], Username=email)["Enabled"]
    )


# ---- list and search ------------------------------------------------------------------------------
def test_customers_are_found_by_a_prefix_of_their_email_name_or_a_word_of_it(api, cloud, staff_token):
    tag = uuid.uuid4().hex[:8]
    # Given two customers with names and emails that share a made-up word
    ana = Shopper(api, cloud, name=f"Ana Müller{tag}", email=f"ana{tag}@example.com")
    bob = Shopper(api, cloud, name=f"Bob Muller{tag}-Smith", email=f"bob{tag}@example.com")
    staff = staff_token("customer-service")
    # Then a word of the name finds both, case- and accent-insensitively
    assert sorted(customers(api, staff, f"MULLER{tag}")) == sorted([ana.customer_id, bob.customer_id])
    # And a prefix of the email or of the full name finds exactly one
    assert customers(api, staff, f"ana{tag}@ex") == [ana.customer_id]
    assert customers(api, staff, f"bob muller{tag}") == [bob.customer_id]
    # And Ana, who matches "ana<tag>" through her email only, and "ana" through her name and email,
    # is listed once
    assert customers(api, staff, f"ana{tag}") == [ana.customer_id]
    found = customers(api, staff, "ana", limit=100)
    assert found.count(ana.customer_id) == 1 and len(found) == len(set(found))
    # And the rows carry the summary
    row = api.get("/admin/customers", headers=auth(staff), params={"q": f"ana{tag}"}).json()["customers"][0]
    assert row == {
        "customer_id": ana.customer_id,
        "email": ana.email,
        "name": f"Ana Müller{tag}",
        "created_at": row["created_at"],
    }
    # And a search nothing matches is empty, not an error
    assert customers(api, staff, f"zz{tag}") == []


def test_search_pages_report_every_customer_once_and_end_with_a_null_cursor(api, cloud, staff_token):
    tag = uuid.uuid4().hex[:8]
    shoppers = [Shopper(api, cloud, name=f"Page{tag} Person{n}", email=f"page{tag}.{n}@example.com") for n in range(3)]
    staff = staff_token("order-manager")
    # each matches "page<tag>" through their email, their full name and a word of it
    assert sorted(customers(api, staff, f"page{tag}", limit=1)) == sorted(s.customer_id for s in shoppers)
    last = api.get("/admin/customers", headers=auth(staff), params={"q": f"page{tag}", "limit": 3}).json()
    assert len(last["customers"]) == 3 and last["next_cursor"] is None


def test_a_renamed_customer_is_found_by_the_new_name_only(api, cloud, staff_token):
    tag = uuid.uuid4().hex[:8]
    shopper = Shopper(api, cloud, name=f"Old{tag} Name")
    staff = staff_token("customer-service")
    assert customers(api, staff, f"old{tag}") == [shopper.customer_id]
    assert api.patch("/me", headers=auth(shopper.token), json={"name": f"New{tag} Name"}).status_code == 200
    assert customers(api, staff, f"old{tag}") == []
    assert customers(api, staff, f"new{tag}") == [shopper.customer_id]


def test_without_a_query_the_list_is_newest_first_in_pages(api, cloud, staff_token):
    first = Shopper(api, cloud)
    second = Shopper(api, cloud)
    staff = auth(staff_token("customer-service"))
    page = api.get("/admin/customers", headers=staff, params={"limit": 2}).json()
    assert [c["customer_id"] for c in page["customers"]] == [second.customer_id, first.customer_id]
    following = api.get("/admin/customers", headers=staff, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert not {c["customer_id"] for c in following["customers"]} & {first.customer_id, second.customer_id}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "   "}, "INVALID_SEARCH"),
        ({"q": ""}, "INVALID_PARAMETER"),
        ({"q": "x" * 101}, "INVALID_PARAMETER"),
        ({"limit": 0}, "INVALID_PARAMETER"),
        ({"limit": "many"}, "INVALID_PARAMETER"),
        ({"cursor": "not-a-cursor"}, "INVALID_CURSOR"),
        ({"email": "a@example.com"}, "UNKNOWN_PARAMETER"),
    ],
)
def test_the_list_refuses_bad_queries(api, staff_token, params, code):
    assert_problem(api.get("/admin/customers", headers=auth(staff_token("admin")), params=params), 422, code)


def test_a_cursor_only_continues_the_listing_it_came_from(api, cloud, staff_token):
    Shopper(api, cloud)
    Shopper(api, cloud)
    staff = auth(staff_token("admin"))
    newest = api.get("/admin/customers", headers=staff, params={"limit": 1}).json()["next_cursor"]
    assert_problem(
        api.get("/admin/customers", headers=staff, params={"q": "a", "cursor": newest}), 422, "INVALID_CURSOR"
    )
    tag = uuid.uuid4().hex[:8]
    for n in range(2):
        Shopper(api, cloud, name=f"Cur{tag} {n}")
    searched = api.get("/admin/customers", headers=staff, params={"q": f"cur{tag}", "limit": 1}).json()["next_cursor"]
    assert_problem(api.get("/admin/customers", headers=staff, params={"cursor": searched}), 422, "INVALID_CURSOR")
    other = api.get("/admin/customers", headers=staff, params={"q": "zzz", "cursor": searched})
    assert_problem(other, 422, "INVALID_CURSOR")


# ---- one customer ---------------------------------------------------------------------------------
def test_the_detail_shows_profile_account_addresses_orders_and_notes(api, cloud, staff_token):
    shopper = Shopper(api, cloud, name="Ada Lovelace")
    address = {"name": "Ada Lovelace", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012JS", "country": "NL"}
    assert api.post("/me/addresses", headers=auth(shopper.token), json=address).status_code == 201
    order_id = placed(api, shopper.token, new_sku(2))
    staff = auth(staff_token("customer-service"))
    noted = api.post(f"/admin/customers/{shopper.customer_id}/notes", headers=staff, json={"text": "  Prefers calls  "})
    assert noted.status_code == 201, noted.text
    note = noted.json()
    assert note["text"] == "Prefers calls" and note["author"].startswith("staff:")
    assert note["author_email"] == cloud.staff_credentials["customer-service"][0]

    response = api.get(f"/admin/customers/{shopper.customer_id}", headers=staff)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["customer"] == {
        "customer_id": shopper.customer_id,
        "email": shopper.email,
        "name": "Ada Lovelace",
        "phone": None,
        "marketing_opt_in": False,
        "created_at": detail["customer"]["created_at"],
        "enabled": True,
        "status": "CONFIRMED",
    }
    assert [a["city"] for a in detail["addresses"]] == ["Amsterdam"] and detail["addresses"][0]["is_default"]
    assert [o["order_id"] for o in detail["orders"]] == [order_id] and detail["more_orders"] is False
    assert detail["notes"] == [note]
    # the note is audited
    [entry] = audit_history(cloud, shopper.customer_id)
    assert json.loads(entry["after"]["S"]) == {"note_id": note["note_id"], "note": "Prefers calls"}


def test_a_customer_who_never_opened_their_account_is_shown_from_the_user_pool(api, cloud, staff_token):
    email = f"quiet-{uuid.uuid4().hex[:10]}@example.com"
    cloud.create_user("customers", email, PASSWORD)
    users = cloud.client("cognito-idp").list_users(UserPoolId=cloud.pools["customers"], Filter=f'email = "{email}"')
    sub = next(a["Value"] for a in users["Users"][0]["Attributes"] if a["Name"] == "sub")
    response = api.get(f"/admin/customers/{sub}", headers=auth(staff_token("order-manager")))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["customer"]["email"] == email and detail["customer"]["enabled"] is True
    assert detail["addresses"] == [] and detail["orders"] == [] and detail["notes"] == []


def test_unknown_customers_and_bad_ids_and_notes_are_refused_and_change_nothing(api, cloud, staff_token):
    staff = auth(staff_token("customer-service"))
    ghost = str(uuid.uuid4())
    for method, path in (
        ("GET", f"/admin/customers/{ghost}"),
        ("POST", f"/admin/customers/{ghost}/disable"),
        ("POST", f"/admin/customers/{ghost}/enable"),
    ):
        assert_problem(api.request(method, path, headers=staff), 404, "CUSTOMER_NOT_FOUND")
    assert_problem(
        api.post(f"/admin/customers/{ghost}/notes", headers=staff, json={"text": "hi"}), 404, "CUSTOMER_NOT_FOUND"
    )
    for method, path in (("GET", '/admin/customers/a"b'), ("POST", "/admin/customers/a%20b/disable")):
        assert_problem(api.request(method, path, headers=staff), 422, "INVALID_PARAMETER")
    assert_problem(api.post(f"/admin/customers/{ghost}/enable?now=1", headers=staff), 422, "UNKNOWN_PARAMETER")
    shopper = Shopper(api, cloud)
    notes = f"/admin/customers/{shopper.customer_id}/notes"
    for bad in ({"text": "   "}, {"text": ""}, {"text": "x" * 2001}, {}, {"text": 5}, {"text": "ok", "pinned": True}):
        assert_problem(api.post(notes, headers=staff, json=bad), 422, "INVALID_BODY")
    assert_problem(
        api.post(notes, headers={**staff, "Content-Type": "application/json"}, data="{"), 400, "MALFORMED_JSON"
    )
    assert api.get(f"/admin/customers/{shopper.customer_id}", headers=staff).json()["notes"] == []
    assert audit_history(cloud, shopper.customer_id) == []


# ---- disable and enable ---------------------------------------------------------------------------
def test_a_disabled_customer_cannot_sign_in_or_refresh_until_enabled_again(api, cloud, staff_token):
    shopper = Shopper(api, cloud)
    signed_in = api.post("/auth/sign-in", json={"email": shopper.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    refresh_token = signed_in.json()["refresh_token"]
    staff = auth(staff_token("customer-service"))
    # When staff disable the account
    disabled = api.post(f"/admin/customers/{shopper.customer_id}/disable", headers=staff)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json() == {"customer_id": shopper.customer_id, "enabled": False}
    assert not enabled(cloud, shopper.email)
    # Then the customer cannot sign in: the same answer as a wrong password (nothing revealed)
    refused = assert_problem(
        api.post("/auth/sign-in", json={"email": shopper.email, "password": PASSWORD}), 401, "INVALID_CREDENTIALS"
    )
    wrong = assert_problem(
        api.post("/auth/sign-in", json={"email": shopper.email, "password": "Wrong-Horse-9"}),
        401,
        "INVALID_CREDENTIALS",
    )
    assert refused["detail"] == wrong["detail"]
    # And their refresh token no longer works
    assert_problem(api.post("/auth/refresh", json={"refresh_token": refresh_token}), 401, "INVALID_TOKEN")
    # And staff see it, and the audit log has it
    assert api.get(f"/admin/customers/{shopper.customer_id}", headers=staff).json()["customer"]["enabled"] is False
    [entry] = audit_history(cloud, shopper.customer_id)
    assert (json.loads(entry["before"]["S"]), json.loads(entry["after"]["S"])) == (
        {"enabled": True},
        {"enabled": False},
    )
    # When they enable it again, the customer signs in again
    again = api.post(f"/admin/customers/{shopper.customer_id}/enable", headers=staff)
    assert again.status_code == 200 and again.json()["enabled"] is True
    assert api.post("/auth/sign-in", json={"email": shopper.email, "password": PASSWORD}).status_code == 200


# ---- every route: customers 401, warehouse 403, nothing changed -----------------------------------
ROUTES = [
    ("GET", "/admin/customers", None),
    ("GET", "/admin/customers/{customer_id}", None),
    ("POST", "/admin/customers/{customer_id}/notes", {"text": "refused"}),
    ("POST", "/admin/customers/{customer_id}/disable", None),
    ("POST", "/admin/customers/{customer_id}/enable", None),
]


def test_the_routes_under_test_are_all_of_the_functions_routes():
    declared = {(route.method, route.path) for route in TOPOLOGY.function("customers-admin").http}
    assert {(method, path) for method, path, _ in ROUTES} == declared


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: str(v))
def test_customers_get_401_and_warehouse_staff_403_and_nothing_changes(
    api, cloud, staff_token, customer_token, method, path, body
):
    shopper = Shopper(api, cloud)
    url = path.format(customer_id=shopper.customer_id)
    for headers in ({}, auth(customer_token), auth(shopper.token)):
        assert_problem(api.request(method, url, headers=headers, json=body), 401, "UNAUTHORIZED")
    refused = assert_problem(
        api.request(method, url, headers=auth(staff_token("warehouse")), json=body), 403, "FORBIDDEN"
    )
    assert refused["permission"] == "MANAGE_CUSTOMERS"
    assert enabled(cloud, shopper.email)
    assert audit_history(cloud, shopper.customer_id) == []
    detail = api.get(f"/admin/customers/{shopper.customer_id}", headers=auth(staff_token("admin"))).json()
    assert detail["notes"] == []
