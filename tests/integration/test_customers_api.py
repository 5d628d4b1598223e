"""Customer accounts over HTTP against the local cloud: API Gateway (with the Cognito authoriser) ->
the customers functions -> Cognito (moto) and DynamoDB.

About confirmation codes on moto 5.2.5 (read from moto/cognitoidp/models.py), so these tests do not
claim more than they prove:
- ConfirmSignUp ignores the code: any code confirms an existing user (an unknown user fails). The
  wrong-code path of sign-up confirmation therefore cannot be exercised locally.
- ForgotPassword stores a code ``moto-confirmation-code:<6 digits>`` on the user and returns it in
  the ``x-moto-forgot-password-confirmation-code`` response header (not the AWS way: there it goes
  by email). ConfirmForgotPassword checks the code only when it has that prefix: a wrong prefixed
  code fails (ExpiredCodeException), any other string is accepted. The tests read the header from
  a direct Cognito call to get the real code, and use a wrong prefixed code for the refusal.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.support import assert_problem, auth

PASSWORD = "Correct-Horse-9"


def new_email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def new_customer(cloud) -> str:
    """A confirmed customer's ID token."""
    email = new_email()
    cloud.create_user("customers", email, PASSWORD)
    return cloud.sign_in("customers", email, PASSWORD)


def address(city: str = "Lyon", **extra: Any) -> dict[str, Any]:
    return {
        "name": "Alice Martin",
        "line1": "1 rue de la Paix",
        "city": city,
        "postal_code": "69001",
        "country": "FR",
        **extra,
    }


def moto_reset_code(cloud, email: str) -> str:
    """moto's own reset code for this user (see the module docstring)."""
    response = cloud.client("cognito-idp").forgot_password(ClientId=cloud.clients["customers"], Username=email)
    return str(response["ResponseMetadata"]["HTTPHeaders"]["x-moto-forgot-password-confirmation-code"])


# ---- accounts --------------------------------------------------------------------------------------
def test_a_shopper_signs_up_verifies_signs_in_sees_their_profile_and_signs_out(api):
    email = new_email()
    # Given a new shopper signs up (mixed-case email: accounts are keyed by the lower-cased email)
    signed_up = api.post("/auth/sign-up", json={"email": email.upper(), "password": PASSWORD, "name": "Alice"})
    assert signed_up.status_code == 201, signed_up.text
    customer_id = signed_up.json()["customer_id"]

    # Then they cannot sign in before verifying their email
    not_yet = api.post("/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert_problem(not_yet, 403, "EMAIL_NOT_VERIFIED")

    # When they confirm (moto accepts any code for an existing user: see the module docstring)
    confirmed = api.post("/auth/confirm-sign-up", json={"email": email, "code": "123456"})
    assert confirmed.status_code == 204, confirmed.text

    # Then they sign in and get tokens
    signed_in = api.post("/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    assert {"id_token", "access_token", "refresh_token", "expires_in"} <= tokens.keys()
    assert tokens["expires_in"] > 0

    # And the ID token opens their profile, created from the token's claims
    me = api.get("/me", headers=auth(tokens["id_token"]))
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["customer_id"] == customer_id
    assert (profile["email"], profile["name"], profile["phone"], profile["marketing_opt_in"]) == (
        email,
        "Alice",
        None,
        False,
    )
    assert profile["created_at"]

    # And the refresh token gives new tokens
    refreshed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["id_token"] and refreshed.json()["refresh_token"] is None

    # When they sign out
    signed_out = api.post("/auth/sign-out", json={"access_token": tokens["access_token"]})
    assert signed_out.status_code == 204, signed_out.text

    # Then their refresh token is revoked and the access token no longer signs anything out
    assert_problem(api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401, "INVALID_TOKEN")
    assert_problem(api.post("/auth/sign-out", json={"access_token": tokens["access_token"]}), 401, "INVALID_TOKEN")


def test_an_email_can_only_sign_up_once(api):
    email = new_email()
    first = api.post("/auth/sign-up", json={"email": email, "password": PASSWORD, "name": "A"})
    assert first.status_code == 201
    again = api.post("/auth/sign-up", json={"email": email.upper(), "password": PASSWORD, "name": "B"})
    assert_problem(again, 409, "EMAIL_TAKEN")


def test_a_weak_password_is_refused_with_the_policy_message(api):
    body = assert_problem(
        api.post("/auth/sign-up", json={"email": new_email(), "password": "short", "name": "A"}), 422, "WEAK_PASSWORD"
    )
    assert "policy" in body["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD},
        {"email": "a@example.com", "password": PASSWORD, "name": "A", "admin": True},
        {"email": "a@example.com", "password": 12345678, "name": "A"},
    ],
)
def test_sign_up_details_are_validated(api, body):
    assert_problem(api.post("/auth/sign-up", json=body), 422, "INVALID_BODY")


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(api, cloud):
    email = new_email()
    cloud.create_user("customers", email, PASSWORD)
    wrong = assert_problem(
        api.post("/auth/sign-in", json={"email": email, "password": "Wrong-Password-1"}), 401, "INVALID_CREDENTIALS"
    )
    unknown = assert_problem(
        api.post("/auth/sign-in", json={"email": new_email(), "password": PASSWORD}), 401, "INVALID_CREDENTIALS"
    )
    assert (wrong["title"], wrong["detail"]) == (unknown["title"], unknown["detail"])


def test_confirming_an_unknown_email_is_an_invalid_code(api):
    assert_problem(
        api.post("/auth/confirm-sign-up", json={"email": new_email(), "code": "123456"}), 400, "INVALID_CODE"
    )


def test_a_forgotten_password_is_reset_with_the_emailed_code(api, cloud):
    email = new_email()
    cloud.create_user("customers", email, PASSWORD)
    new_password = "Brand-New-Secret-7"

    # Asking for a reset is accepted whether or not the account exists (no user enumeration)
    for who in (email, new_email()):
        response = api.post("/auth/forgot-password", json={"email": who})
        assert response.status_code == 202, response.text
    unknown = api.post("/auth/forgot-password", json={"email": new_email()}).json()
    assert api.post("/auth/forgot-password", json={"email": email}).json() == unknown

    code = moto_reset_code(cloud, email)  # what the email would carry
    # A wrong code is refused and the password is unchanged
    wrong = {"email": email, "code": "moto-confirmation-code:000000", "new_password": new_password}
    if code == wrong["code"]:  # pragma: no cover - one chance in 900,000
        wrong["code"] = "moto-confirmation-code:000001"
    assert_problem(api.post("/auth/reset-password", json=wrong), 400, "INVALID_CODE")
    # (a new password that breaks the policy cannot be tested here: moto's ConfirmForgotPassword
    # does not check the policy; tests/unit/test_customers_cognito.py covers the mapping)
    # An unknown email is just an invalid code
    stranger = {"email": new_email(), "code": code, "new_password": new_password}
    assert_problem(api.post("/auth/reset-password", json=stranger), 400, "INVALID_CODE")

    # When the right code is used
    reset = api.post("/auth/reset-password", json={"email": email, "code": code, "new_password": new_password})
    assert reset.status_code == 204, reset.text
    # Then the new password works and the old one does not
    assert api.post("/auth/sign-in", json={"email": email, "password": new_password}).status_code == 200
    old = api.post("/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert_problem(old, 401, "INVALID_CREDENTIALS")


def test_bad_tokens_are_refused(api):
    assert_problem(api.post("/auth/refresh", json={"refresh_token": "not-a-token"}), 401, "INVALID_TOKEN")
    assert_problem(api.post("/auth/sign-out", json={"access_token": "not-a-token"}), 401, "INVALID_TOKEN")


# ---- profile ---------------------------------------------------------------------------------------
def test_the_profile_needs_a_customer_token(api, staff_token):
    assert api.get("/me").status_code == 401
    assert api.get("/me/addresses").status_code == 401
    assert api.get("/me", headers=auth("garbage")).status_code == 401
    assert api.get("/me", headers=auth(staff_token("admin"))).status_code == 401  # staff pool token


def test_the_seeded_customer_sees_their_profile(api, customer_token):
    response = api.get("/me", headers=auth(customer_token))
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"]


def test_a_customer_updates_their_profile(api, cloud):
    token = new_customer(cloud)
    response = api.patch("/me", headers=auth(token), json={"name": "Alice M.", "phone": "+33 6 12 34 56 78"})
    assert response.status_code == 200, response.text
    response = api.patch("/me", headers=auth(token), json={"marketing_opt_in": True})
    profile = response.json()
    assert (profile["name"], profile["phone"], profile["marketing_opt_in"]) == ("Alice M.", "+33 6 12 34 56 78", True)
    # null removes the phone number
    assert api.patch("/me", headers=auth(token), json={"phone": None}).json()["phone"] is None
    # and the changes are kept
    assert api.get("/me", headers=auth(token)).json()["name"] == "Alice M."


@pytest.mark.parametrize(
    "body",
    [
        {"email": "someone-else@example.com"},
        {"marketing_opt_in": "yes"},
        {"name": 42},
        {"name": None},
        {"phone": "call me maybe"},
        {"favourite_colour": "blue"},
        ["name", "x"],
    ],
)
def test_profile_updates_are_validated(api, customer_token, body):
    assert_problem(api.patch("/me", headers=auth(customer_token), json=body), 422, "INVALID_BODY")


def test_a_malformed_profile_update_is_a_400(api, customer_token):
    response = api.patch(
        "/me", headers={**auth(customer_token), "Content-Type": "application/json"}, data='{"name": "Al'
    )
    assert_problem(response, 400, "MALFORMED_JSON")


# ---- address book ----------------------------------------------------------------------------------
def test_an_address_book_keeps_exactly_one_default(api, cloud):
    token = new_customer(cloud)
    h = auth(token)
    assert api.get("/me/addresses", headers=h).json() == {"items": []}

    first = api.post("/me/addresses", headers=h, json=address("A"))
    assert first.status_code == 201, first.text
    first = first.json()
    assert first["is_default"] and first["address_id"].startswith("adr_")
    second = api.post("/me/addresses", headers=h, json=address("B")).json()
    third = api.post("/me/addresses", headers=h, json=address("C", make_default=True)).json()
    assert not second["is_default"] and third["is_default"]

    def book() -> list[tuple[str, bool]]:
        items = api.get("/me/addresses", headers=h).json()["items"]
        assert sum(a["is_default"] for a in items) == (1 if items else 0)
        return [(a["city"], a["is_default"]) for a in items]

    assert book() == [("C", True), ("B", False), ("A", False)]  # default first, then newest first

    # make another the default
    made = api.post(f"/me/addresses/{first['address_id']}/default", headers=h)
    assert made.status_code == 200 and made.json()["is_default"]
    assert book() == [("A", True), ("C", False), ("B", False)]

    # replace one: it keeps its id and default status
    replaced = api.put(f"/me/addresses/{first['address_id']}", headers=h, json=address("Marseille", line2="Bât. B"))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["address_id"], replaced.json()["city"], replaced.json()["is_default"]) == (
        first["address_id"],
        "Marseille",
        True,
    )

    # delete the default: the most recently added remaining one takes over
    assert api.delete(f"/me/addresses/{first['address_id']}", headers=h).status_code == 204
    assert book() == [("C", True), ("B", False)]
    # delete one that is not the default: the default stays
    assert api.delete(f"/me/addresses/{second['address_id']}", headers=h).status_code == 204
    assert book() == [("C", True)]
    assert api.delete(f"/me/addresses/{third['address_id']}", headers=h).status_code == 204
    assert book() == []


def test_unknown_and_malformed_address_ids(api, customer_token):
    h = auth(customer_token)
    unknown = "adr_01JAAAAAAAAAAAAAAAAAAAAAAA"
    assert_problem(api.put(f"/me/addresses/{unknown}", headers=h, json=address()), 404, "ADDRESS_NOT_FOUND")
    assert_problem(api.delete(f"/me/addresses/{unknown}", headers=h), 404, "ADDRESS_NOT_FOUND")
    assert_problem(api.post(f"/me/addresses/{unknown}/default", headers=h), 404, "ADDRESS_NOT_FOUND")
    assert_problem(api.delete("/me/addresses/not-an-id", headers=h), 422, "INVALID_PARAMETER")


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in address().items() if k != "city"},
        address(country="France"),
        address(make_default="yes"),
        address(is_default=True),
        address(address_id="adr_01JAAAAAAAAAAAAAAAAAAAAAAA"),
    ],
)
def test_addresses_are_validated(api, customer_token, body):
    assert_problem(api.post("/me/addresses", headers=auth(customer_token), json=body), 422, "INVALID_BODY")


def test_an_address_book_holds_at_most_twenty_addresses(api, cloud):
    h = auth(new_customer(cloud))
    for i in range(20):
        assert api.post("/me/addresses", headers=h, json=address(f"City {i}")).status_code == 201
    body = assert_problem(api.post("/me/addresses", headers=h, json=address("One too many")), 409, "ADDRESS_BOOK_FULL")
    assert body["max_addresses"] == 20
    items = api.get("/me/addresses", headers=h).json()["items"]
    assert len(items) == 20 and items[0]["city"] == "City 0"
    # deleting one makes room again
    assert api.delete(f"/me/addresses/{items[-1]['address_id']}", headers=h).status_code == 204
    assert api.post("/me/addresses", headers=h, json=address("Room again")).status_code == 201


def test_a_customer_can_never_reach_another_customers_addresses(api, cloud):
    alice, bob = auth(new_customer(cloud)), auth(new_customer(cloud))
    api.post("/me/addresses", headers=alice, json=address("Alice's")).raise_for_status()
    bobs = api.post("/me/addresses", headers=bob, json=address("Bob's")).json()
    api.post("/me/addresses", headers=bob, json=address("Bob's office")).raise_for_status()
    before = api.get("/me/addresses", headers=bob).json()

    target = f"/me/addresses/{bobs['address_id']}"
    assert_problem(api.put(target, headers=alice, json=address("Hijacked")), 404, "ADDRESS_NOT_FOUND")
    assert_problem(api.post(f"{target}/default", headers=alice), 404, "ADDRESS_NOT_FOUND")
    assert_problem(api.delete(target, headers=alice), 404, "ADDRESS_NOT_FOUND")

    assert [a["city"] for a in api.get("/me/addresses", headers=alice).json()["items"]] == ["Alice's"]
    assert api.get("/me/addresses", headers=bob).json() == before
    assert api.get("/me", headers=alice).json()["customer_id"] != api.get("/me", headers=bob).json()["customer_id"]


def test_checkout_reads_addresses_through_the_customer_service(api, cloud):
    from commerce.customers.errors import AddressNotFound
    from commerce.wiring.customers import customer_service

    token = new_customer(cloud)
    customer_id = api.get("/me", headers=auth(token)).json()["customer_id"]
    saved = api.post("/me/addresses", headers=auth(token), json=address()).json()

    service = customer_service()
    assert service.get_address(customer_id, saved["address_id"]).model_dump() == saved
    default = service.default_address(customer_id)
    assert default is not None and default.address_id == saved["address_id"]
    with pytest.raises(AddressNotFound):
        service.get_address("someone-else", saved["address_id"])
