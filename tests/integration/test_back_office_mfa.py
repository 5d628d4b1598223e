"""Staff sign-in with the second factor the staff pool requires (TOTP), over HTTP against the local
cloud, whose staff pool has MFA ON with software tokens as the CDK's does (docs/back-office.md):
an invited member sets up an authenticator app at their first sign-in (the secret and its
otpauth:// URI, then its first code), and from then on signs in with a code. Wrong codes are refused
with INVALID_MFA_CODE and the session to try again; sessions that are not ours with INVALID_SESSION.

The codes are computed from the secret as an authenticator app does (RFC 6238, support.totp)."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.integration.support import assert_problem, auth, totp, wrong_totp

PASSWORD = "Chosen-Password-7"


def sign_in(api: Any, email: str, password: str) -> Any:
    return api.post("/admin/auth/sign-in", json={"email": email, "password": password})


@pytest.fixture
def invited(api: Any, cloud: Any, staff_token: Any) -> tuple[str, str]:
    """(email, session) of a finance member invited just now who chose their password and is asked to
    set up their authenticator app (403 MFA_SETUP_REQUIRED)."""
    email = f"mfa-{uuid.uuid4().hex[:10]}@staff.local"
    created = api.post(
        "/admin/staff",
        headers=auth(staff_token("admin")),
        json={"email": email, "name": "Ada Finance", "groups": ["finance"]},
    )
    assert created.status_code == 201, created.text
    [mail] = cloud.emails(to=email)
    temporary = re.search(r"Temporary password: (\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    first = assert_problem(sign_in(api, email, temporary), 403, "NEW_PASSWORD_REQUIRED")
    chosen = api.post("/admin/auth/new-password", json={"session": first["session"], "new_password": PASSWORD})
    return email, assert_problem(chosen, 403, "MFA_SETUP_REQUIRED")["session"]


def test_a_new_member_sets_up_an_authenticator_then_signs_in_with_its_codes(api, invited):
    email, session = invited
    # When they ask to set up their authenticator app
    setup = api.post("/admin/auth/mfa/setup", json={"session": session})
    # Then they get its secret, as text and as the otpauth:// URI a QR code carries, and a session
    assert setup.status_code == 200, setup.text
    answer = setup.json()
    secret = answer["secret"]
    assert re.fullmatch(r"[A-Za-z2-7]+=*", secret)
    uri = urlparse(answer["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Serverless Commerce back office:{email}"
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["Serverless Commerce back office"]}
    # When the first code they type is wrong, it is refused, and they may try again with the session
    wrong = api.post("/admin/auth/mfa/verify", json={"session": answer["session"], "code": wrong_totp(secret)})
    retry = assert_problem(wrong, 401, "INVALID_MFA_CODE")["session"]
    # When they type the code the app shows
    verified = api.post(
        "/admin/auth/mfa/verify", json={"session": retry, "code": totp(secret), "device_name": "Ada's phone"}
    )
    # Then they are signed in with their group's permissions
    assert verified.status_code == 200, verified.text
    signed_in = verified.json()
    assert signed_in["groups"] == ["finance"] and "HANDLE_PAYMENTS" in signed_in["permissions"]
    assert signed_in["refresh_token"]
    assert api.get("/admin/me", headers=auth(signed_in["id_token"])).json()["email"] == email

    # When they sign in again, the password alone is not enough: the code is asked for
    asked = assert_problem(sign_in(api, email, PASSWORD), 403, "MFA_REQUIRED")
    assert "id_token" not in asked
    # A wrong code is refused with a stable code and nothing issued
    refused = assert_problem(
        api.post("/admin/auth/mfa", json={"session": asked["session"], "code": wrong_totp(secret)}),
        401,
        "INVALID_MFA_CODE",
    )
    assert "id_token" not in refused
    # And the current code signs them in
    coded = api.post("/admin/auth/mfa", json={"session": refused["session"], "code": totp(secret)})
    assert coded.status_code == 200, coded.text
    assert coded.json()["groups"] == ["finance"]
    assert api.get("/admin/me", headers=auth(coded.json()["id_token"])).status_code == 200
    # And the refresh token of an MFA sign-in refreshes as any other
    refreshed = api.post("/admin/auth/refresh", json={"refresh_token": coded.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/admin/auth/mfa/setup", {"session": "garbage"}, 401, "INVALID_SESSION"),
        ("/admin/auth/mfa/verify", {"session": "garbage", "code": "123456"}, 401, "INVALID_SESSION"),
        ("/admin/auth/mfa", {"session": "garbage", "code": "123456"}, 401, "INVALID_SESSION"),
        ("/admin/auth/mfa", {"session": "s", "code": "12345"}, 422, "INVALID_BODY"),
        ("/admin/auth/mfa", {"session": "s", "code": "12a456"}, 422, "INVALID_BODY"),
        ("/admin/auth/mfa", {"session": "s", "code": "123456", "remember": True}, 422, "INVALID_BODY"),
        ("/admin/auth/mfa/verify", {"session": "s"}, 422, "INVALID_BODY"),
        ("/admin/auth/mfa/setup", {}, 422, "INVALID_BODY"),
    ],
)
def test_the_mfa_steps_refuse_bad_input_and_sessions_that_are_not_ours(api, path, body, status, code):
    assert_problem(api.post(path, json=body), status, code)


def test_a_cognito_session_that_expired_or_was_used_is_refused_as_such(api, invited):
    _, session = invited
    setup = api.post("/admin/auth/mfa/setup", json={"session": session}).json()
    import base64
    import json

    forged = json.loads(base64.urlsafe_b64decode(setup["session"]))
    forged["s"] = str(uuid.uuid4())  # a Cognito session Cognito never gave
    other = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert_problem(
        api.post("/admin/auth/mfa/verify", json={"session": other, "code": "123456"}), 401, "INVALID_SESSION"
    )
