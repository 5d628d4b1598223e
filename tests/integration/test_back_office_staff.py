"""The back office's staff side over HTTP against the local cloud: staff sign-in for the admin app
(including an invitation's new-password step), /admin/me, staff accounts (invite, groups, disable,
enable) and the audit log's browse. Every route refuses a customer's token (401) and a warehouse
member (403) and changes nothing then; bad input answers problem+json with a stable code.

The seeded staff users are shared with other test files of this worker: the tests change only
accounts they create (a seeded admin only ever tries, and fails, to demote or disable itself)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from infra.model import AuthKind
from infra.topology import TOPOLOGY
from tests.integration.support import assert_problem, auth, totp

PASSWORD = "Staff-Password-9"


def new_email() -> str:
    return f"staff-{uuid.uuid4().hex[:10]}@staff.local"


def new_staff(cloud: Any, *groups: str) -> tuple[str, str]:
    """(username, ID token) of a new confirmed staff member in these groups."""
    username, _ = cloud.create_user("staff", new_email(), PASSWORD, groups=groups)
    return username, cloud.sign_in("staff", username, PASSWORD)


def cognito_user(cloud: Any, username: str) -> dict[str, Any]:
    return dict(cloud.client("cognito-idp").admin_get_user(UserPoolId=cloud.pools["staff"], Username=username))


def groups_of(cloud: Any, username: str) -> list[str]:
    groups = cloud.client("cognito-idp").admin_list_groups_for_user(UserPoolId=cloud.pools["staff"], Username=username)
    return sorted(g["GroupName"] for g in groups["Groups"])


def audit_history(cloud: Any, entity_type: str, entity_id: str) -> list[dict[str, Any]]:
    return cloud.client("dynamodb").query(
        TableName=cloud.physical("audit"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ENTITY#{entity_type}#{entity_id}"}},
    )["Items"]


def sign_in(api: Any, email: str, password: str) -> Any:
    return api.post("/admin/auth/sign-in", json={"email": email, "password": password})


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# ---- sign-in and /admin/me ------------------------------------------------------------------------
def test_staff_sign_in_returns_tokens_groups_and_permissions_and_the_token_opens_admin_me(api, cloud):
    # Given a seeded order manager
    email, password = cloud.staff_credentials["order-manager"]
    # When they sign in through the admin app's route
    signed_in = sign_in(api, email.upper(), password)  # emails are case-insensitive
    # Then they get tokens and what their groups allow
    assert signed_in.status_code == 200, signed_in.text
    session = signed_in.json()
    assert session["id_token"] and session["refresh_token"] and session["expires_in"] > 0
    assert session["groups"] == ["order-manager"]
    assert {"MANAGE_ORDERS", "MANAGE_CUSTOMERS", "VIEW_REPORTS", "VIEW_PROFILE"} == set(session["permissions"])
    # And the ID token opens /admin/me, which says the same
    me = api.get("/admin/me", headers=auth(session["id_token"]))
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["email"] == email and profile["sub"]
    assert profile["groups"] == ["order-manager"] and profile["permissions"] == sorted(session["permissions"])
    # And a refresh gives a new ID token with the groups again
    refreshed = api.post("/admin/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["groups"] == ["order-manager"] and refreshed.json()["refresh_token"] is None


def test_a_wrong_password_and_an_unknown_email_answer_identically(api, cloud):
    email, _ = cloud.staff_credentials["finance"]
    wrong = assert_problem(sign_in(api, email, "Not-The-Password-1"), 401, "INVALID_CREDENTIALS")
    unknown = assert_problem(sign_in(api, new_email(), "Not-The-Password-1"), 401, "INVALID_CREDENTIALS")
    assert without_request_id(wrong) == without_request_id(unknown)


def test_staff_sign_in_refuses_bad_input_and_bad_refresh_tokens(api):
    assert_problem(api.post("/admin/auth/sign-in", json={"email": new_email()}), 422, "INVALID_BODY")
    assert_problem(api.post("/admin/auth/sign-in", json={"email": "no-at-sign", "password": "x"}), 422, "INVALID_BODY")
    extra = {"email": new_email(), "password": PASSWORD, "remember": True}
    assert_problem(api.post("/admin/auth/sign-in", json=extra), 422, "INVALID_BODY")
    assert_problem(
        api.post("/admin/auth/sign-in", data="{nope", headers={"Content-Type": "application/json"}),
        400,
        "MALFORMED_JSON",
    )
    assert_problem(api.post("/admin/auth/refresh", json={"refresh_token": "not-a-token"}), 401, "INVALID_TOKEN")
    assert_problem(api.post("/admin/auth/refresh", json={}), 422, "INVALID_BODY")
    assert_problem(
        api.post("/admin/auth/new-password", json={"session": "garbage", "new_password": "Fresh-Password-1"}),
        401,
        "INVALID_SESSION",
    )
    assert_problem(api.post("/admin/auth/new-password", json={"session": "x"}), 422, "INVALID_BODY")


def test_a_customers_token_on_staff_sign_in_is_irrelevant_it_is_a_public_route(api, cloud, customer_token):
    email, password = cloud.staff_credentials["marketing"]
    response = api.post(
        "/admin/auth/sign-in", json={"email": email, "password": password}, headers=auth(customer_token)
    )
    assert response.status_code == 200, response.text
    customer_email, customer_password = cloud.customer_credentials
    # and a customer's own credentials do not open the staff pool
    assert_problem(sign_in(api, customer_email, customer_password), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("group", ["admin", "warehouse", "finance", "catalogue-manager"])
def test_every_staff_member_sees_admin_me_and_customers_do_not(api, staff_token, customer_token, group):
    me = api.get("/admin/me", headers=auth(staff_token(group)))
    assert me.status_code == 200, me.text
    assert me.json()["groups"] == [group] and "VIEW_PROFILE" in me.json()["permissions"]
    assert_problem(api.get("/admin/me", headers=auth(customer_token)), 401, "UNAUTHORIZED")
    assert_problem(api.get("/admin/me"), 401, "UNAUTHORIZED")
    assert_problem(api.get("/admin/me?verbose=1", headers=auth(staff_token(group))), 422, "UNKNOWN_PARAMETER")


def test_the_handler_names_as_public_exactly_the_routes_the_topology_declares_public():
    from functions.staff import auth as staff_auth

    fn = TOPOLOGY.function("staff-auth")
    declared = {route.key for route in fn.http if route.auth is AuthKind.PUBLIC}
    assert declared == staff_auth.PUBLIC_ROUTES


# ---- invitations ----------------------------------------------------------------------------------
def test_an_admin_invites_a_member_who_signs_in_with_the_emailed_password_and_chooses_their_own(
    api, cloud, staff_token
):
    email = new_email()
    # When an admin invites a new order manager
    invited = api.post(
        "/admin/staff",
        headers=auth(staff_token("admin")),
        json={"email": email, "name": "Grace Hopper", "groups": ["order-manager"]},
    )
    # Then the account exists, in that group, waiting for its first sign-in
    assert invited.status_code == 201, invited.text
    member = invited.json()
    assert member["email"] == email and member["name"] == "Grace Hopper"
    assert member["groups"] == ["order-manager"] and member["enabled"] is True
    assert member["status"] == "FORCE_CHANGE_PASSWORD"
    listed = api.get("/admin/staff", headers=auth(staff_token("admin")))
    assert listed.status_code == 200, listed.text
    assert member in listed.json()["staff"]
    seeded = {m["email"]: m["groups"] for m in listed.json()["staff"]}
    assert seeded[cloud.staff_credentials["warehouse"][0]] == ["warehouse"]
    # And the invitation with a temporary password went to their email (and only the email has it)
    [mail] = cloud.emails(to=email)
    temporary = re.search(r"Temporary password: (\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert temporary not in invited.text
    # And the invitation is in the audit log, without the password
    [entry] = audit_history(cloud, "staff", member["username"])
    assert entry["action"]["S"] == "POST /admin/staff" and temporary not in str(entry)

    # When they sign in with it, they are asked for a new password
    first = assert_problem(sign_in(api, email, temporary), 403, "NEW_PASSWORD_REQUIRED")
    session = first["session"]
    weak = api.post("/admin/auth/new-password", json={"session": session, "new_password": "short"})
    assert_problem(weak, 422, "WEAK_PASSWORD")
    chosen = api.post("/admin/auth/new-password", json={"session": session, "new_password": "Chosen-Password-7"})
    # Then the staff pool asks for their authenticator app (it requires MFA), and with its first code
    # they are signed in, with their group's permissions (test_back_office_mfa.py: the MFA steps)
    asked = assert_problem(chosen, 403, "MFA_SETUP_REQUIRED")
    setup = api.post("/admin/auth/mfa/setup", json={"session": asked["session"]})
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    signed_in = api.post("/admin/auth/mfa/verify", json={"session": setup.json()["session"], "code": totp(secret)})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["groups"] == ["order-manager"] and "MANAGE_ORDERS" in signed_in.json()["permissions"]
    assert api.get("/admin/me", headers=auth(signed_in.json()["id_token"])).json()["email"] == email
    # And from then on they sign in with their own password (and a code); the temporary one is gone
    assert_problem(sign_in(api, email, "Chosen-Password-7"), 403, "MFA_REQUIRED")
    assert_problem(sign_in(api, email, temporary), 401, "INVALID_CREDENTIALS")


def test_an_invitation_with_bad_input_creates_nobody_and_sends_nothing(api, cloud, staff_token):
    admin = auth(staff_token("admin"))
    email = new_email()
    unknown = api.post("/admin/staff", headers=admin, json={"email": email, "name": "X", "groups": ["root", "admin"]})
    body = assert_problem(unknown, 422, "UNKNOWN_GROUP")
    assert body["groups"] == ["root"] and "warehouse" in body["known"]
    for bad in (
        {"email": email, "name": "X", "groups": []},
        {"email": email, "name": "", "groups": ["admin"]},
        {"email": "not-an-email", "name": "X", "groups": ["admin"]},
        {"email": email, "name": "X", "groups": "admin"},
        {"email": email, "name": "X", "groups": ["admin"], "password": "mine"},
    ):
        assert_problem(api.post("/admin/staff", headers=admin, json=bad), 422, "INVALID_BODY")
    assert cloud.emails(to=email) == []
    users = cloud.client("cognito-idp").list_users(UserPoolId=cloud.pools["staff"], Filter=f'email = "{email}"')
    assert users["Users"] == []
    # an email that has an account already
    taken = cloud.staff_credentials["finance"][0]
    again = api.post("/admin/staff", headers=admin, json={"email": taken, "name": "Twin", "groups": ["finance"]})
    assert_problem(again, 409, "STAFF_EXISTS")
    assert cloud.emails(to=taken) == []


# ---- groups ---------------------------------------------------------------------------------------
def test_an_admin_sets_a_members_groups_exactly_and_the_change_is_audited(api, cloud, staff_token):
    username, _ = new_staff(cloud, "warehouse")
    admin = auth(staff_token("admin"))
    changed = api.put(f"/admin/staff/{username}/groups", headers=admin, json={"groups": ["marketing", "finance"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["groups"] == ["finance", "marketing"]
    assert groups_of(cloud, username) == ["finance", "marketing"]
    [entry] = audit_history(cloud, "staff", username)
    assert entry["before"]["S"] == '{"groups": ["warehouse"]}'
    assert entry["after"]["S"] == '{"groups": ["finance", "marketing"]}'
    # no groups at all is allowed: the member can then do nothing but see /admin/me refused
    emptied = api.put(f"/admin/staff/{username}/groups", headers=admin, json={"groups": []})
    assert emptied.status_code == 200 and groups_of(cloud, username) == []


def test_group_changes_with_bad_input_change_nothing(api, cloud, staff_token):
    username, _ = new_staff(cloud, "finance")
    admin = auth(staff_token("admin"))
    path = f"/admin/staff/{username}/groups"
    assert_problem(api.put(path, headers=admin, json={"groups": ["finance", "gods"]}), 422, "UNKNOWN_GROUP")
    assert_problem(api.put(path, headers=admin, json={"groups": "finance"}), 422, "INVALID_BODY")
    assert_problem(api.put(path, headers=admin, json={}), 422, "INVALID_BODY")
    assert_problem(
        api.put(path, headers={**admin, "Content-Type": "application/json"}, data="{"), 400, "MALFORMED_JSON"
    )
    missing = api.put("/admin/staff/nobody-here@staff.local/groups", headers=admin, json={"groups": ["admin"]})
    assert_problem(missing, 404, "STAFF_NOT_FOUND")
    assert_problem(
        api.put("/admin/staff/bad%20name/groups", headers=admin, json={"groups": []}), 422, "INVALID_PARAMETER"
    )
    assert groups_of(cloud, username) == ["finance"]
    assert audit_history(cloud, "staff", username) == []


def test_an_admin_cannot_remove_their_own_admin_group_but_may_add_others(api, cloud):
    username, token = new_staff(cloud, "admin")
    own = api.put(f"/admin/staff/{username}/groups", headers=auth(token), json={"groups": ["finance"]})
    assert_problem(own, 409, "CANNOT_REMOVE_OWN_ADMIN")
    assert groups_of(cloud, username) == ["admin"]
    kept = api.put(f"/admin/staff/{username}/groups", headers=auth(token), json={"groups": ["admin", "finance"]})
    assert kept.status_code == 200 and groups_of(cloud, username) == ["admin", "finance"]


# ---- disable and enable ---------------------------------------------------------------------------
def test_a_disabled_member_cannot_sign_in_or_refresh_until_enabled_again(api, cloud, staff_token):
    username, _ = new_staff(cloud, "finance")
    session = sign_in(api, username, PASSWORD).json()
    admin = auth(staff_token("admin"))
    disabled = api.post(f"/admin/staff/{username}/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["enabled"] is False and cognito_user(cloud, username)["Enabled"] is False
    # the same answer as a wrong password: a disabled account is not revealed either
    refused = assert_problem(sign_in(api, username, PASSWORD), 401, "INVALID_CREDENTIALS")
    wrong = assert_problem(sign_in(api, username, "Wrong-Password-1"), 401, "INVALID_CREDENTIALS")
    assert without_request_id(refused) == without_request_id(wrong)
    assert_problem(
        api.post("/admin/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401, "INVALID_TOKEN"
    )
    [entry] = audit_history(cloud, "staff", username)
    assert (entry["before"]["S"], entry["after"]["S"]) == ('{"enabled": true}', '{"enabled": false}')
    # disabling twice is harmless
    assert api.post(f"/admin/staff/{username}/disable", headers=admin).status_code == 200
    enabled = api.post(f"/admin/staff/{username}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert sign_in(api, username, PASSWORD).status_code == 200


def test_an_admin_cannot_disable_themselves_and_unknown_members_are_not_found(api, cloud, staff_token):
    username, _ = cloud.staff_credentials["admin"]
    admin = auth(staff_token("admin"))
    assert_problem(api.post(f"/admin/staff/{username}/disable", headers=admin), 409, "CANNOT_DISABLE_SELF")
    assert cognito_user(cloud, username)["Enabled"] is True
    assert_problem(api.post("/admin/staff/ghost@staff.local/disable", headers=admin), 404, "STAFF_NOT_FOUND")
    assert_problem(api.post("/admin/staff/ghost@staff.local/enable", headers=admin), 404, "STAFF_NOT_FOUND")


# ---- the audit log --------------------------------------------------------------------------------
def test_the_audit_log_browses_an_entity_an_actor_and_a_day_newest_first_in_pages(api, cloud):
    # Given an admin of their own and a member whose groups they change three times
    admin_username, admin_token = new_staff(cloud, "admin")
    admin = auth(admin_token)
    username, _ = new_staff(cloud, "warehouse")
    for groups in (["finance"], ["marketing"], ["marketing", "finance"]):
        assert api.put(f"/admin/staff/{username}/groups", headers=admin, json={"groups": groups}).status_code == 200
    # When the entity's history is browsed two at a time
    first = api.get(f"/admin/audit?entity_type=staff&entity_id={username}&limit=2", headers=admin)
    assert first.status_code == 200, first.text
    page = first.json()
    # Then it is newest first, with before and after as objects
    assert [e["after"] for e in page["entries"]] == [{"groups": ["finance", "marketing"]}, {"groups": ["marketing"]}]
    assert page["entries"][0]["before"] == {"groups": ["marketing"]}
    assert page["entries"][0]["action"] == "PUT /admin/staff/{username}/groups"
    rest = api.get(
        f"/admin/audit?entity_type=staff&entity_id={username}&limit=2&cursor={page['next_cursor']}", headers=admin
    ).json()
    assert [e["after"] for e in rest["entries"]] == [{"groups": ["finance"]}] and rest["next_cursor"] is None

    # And the actor's history has the same three entries, today's too
    actor = page["entries"][0]["actor"]
    assert actor == f"staff:{cognito_sub(cloud, admin_username)}"
    mine = api.get(f"/admin/audit?actor={actor}", headers=admin).json()
    assert [e["entity_id"] for e in mine["entries"]] == [username] * 3
    today = page["entries"][0]["day"]
    assert len(api.get(f"/admin/audit?actor={actor}&day={today}", headers=admin).json()["entries"]) == 3
    assert api.get(f"/admin/audit?actor={actor}&day=2001-01-01", headers=admin).json()["entries"] == []
    # And a day's entries (today's by default) start with the newest change
    for path in (f"/admin/audit?day={today}&limit=1", "/admin/audit?limit=1"):
        newest = api.get(path, headers=admin).json()
        assert newest["entries"][0]["audit_id"] == page["entries"][0]["audit_id"], path
        assert newest["next_cursor"]


def cognito_sub(cloud: Any, username: str) -> str:
    return next(a["Value"] for a in cognito_user(cloud, username)["UserAttributes"] if a["Name"] == "sub")


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("entity_type=staff", 422, "INVALID_AUDIT_QUERY"),
        ("entity_id=abc", 422, "INVALID_AUDIT_QUERY"),
        ("entity_type=staff&entity_id=abc&actor=staff:x", 422, "INVALID_AUDIT_QUERY"),
        ("day=2026-02-30", 422, "INVALID_AUDIT_QUERY"),
        ("day=yesterday", 422, "INVALID_PARAMETER"),
        ("entity_type=Staff%20Members&entity_id=1", 422, "INVALID_PARAMETER"),
        ("actor=someone", 422, "INVALID_PARAMETER"),
        ("limit=0", 422, "INVALID_PARAMETER"),
        ("limit=101", 422, "INVALID_PARAMETER"),
        ("cursor=not-a-cursor", 422, "INVALID_CURSOR"),
        ("user=me", 422, "UNKNOWN_PARAMETER"),
    ],
)
def test_the_audit_browse_refuses_bad_queries(api, staff_token, query, status, code):
    assert_problem(api.get(f"/admin/audit?{query}", headers=auth(staff_token("admin"))), status, code)


def test_an_audit_cursor_only_continues_the_listing_it_came_from(api, staff_token):
    admin = auth(staff_token("admin"))
    page = api.get("/admin/audit?limit=1", headers=admin).json()
    assert page["next_cursor"]
    other_day = api.get(f"/admin/audit?day=2001-01-01&cursor={page['next_cursor']}", headers=admin)
    assert_problem(other_day, 422, "INVALID_CURSOR")
    entity = api.get(f"/admin/audit?entity_type=staff&entity_id=x&cursor={page['next_cursor']}", headers=admin)
    assert_problem(entity, 422, "INVALID_CURSOR")


# ---- every route: customers 401, warehouse 403, nothing changed -----------------------------------
STAFF_ROUTES = [
    ("GET", "/admin/staff", None),
    ("POST", "/admin/staff", {"email": "refused@staff.local", "name": "Refused", "groups": ["admin"]}),
    ("PUT", "/admin/staff/{username}/groups", {"groups": ["admin"]}),
    ("POST", "/admin/staff/{username}/disable", None),
    ("POST", "/admin/staff/{username}/enable", None),
    ("GET", "/admin/audit", None),
]


def test_the_routes_under_test_are_all_of_this_functions_staff_routes():
    declared = {
        (route.method, route.path) for name in ("staff-manage", "staff-audit") for route in TOPOLOGY.function(name).http
    }
    assert {(method, path) for method, path, _ in STAFF_ROUTES} == declared


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES, ids=lambda v: str(v))
def test_customers_get_401_and_warehouse_staff_403_and_nothing_changes(
    api, cloud, staff_token, customer_token, method, path, body
):
    username, _ = new_staff(cloud, "finance")
    url = path.format(username=username)
    for headers in ({}, auth(customer_token)):
        assert_problem(api.request(method, url, headers=headers, json=body), 401, "UNAUTHORIZED")
    refused = assert_problem(
        api.request(method, url, headers=auth(staff_token("warehouse")), json=body), 403, "FORBIDDEN"
    )
    assert refused["permission"] == "MANAGE_STAFF"
    assert groups_of(cloud, username) == ["finance"] and cognito_user(cloud, username)["Enabled"] is True
    assert audit_history(cloud, "staff", username) == []
    users = cloud.client("cognito-idp").list_users(
        UserPoolId=cloud.pools["staff"], Filter='email = "refused@staff.local"'
    )
    assert users["Users"] == [] and cloud.emails(to="refused@staff.local") == []


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/admin/staff?page=2", "UNKNOWN_PARAMETER"),
        ("POST", "/admin/staff/bad%20name/disable", "INVALID_PARAMETER"),
        ("POST", "/admin/staff/bad%22name/enable", "INVALID_PARAMETER"),
        ("POST", "/admin/staff/x/disable?force=1", "UNKNOWN_PARAMETER"),
    ],
)
def test_staff_routes_refuse_bad_parameters(api, staff_token, method, path, code):
    assert_problem(api.request(method, path, headers=auth(staff_token("admin"))), 422, code)
