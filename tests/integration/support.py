"""Helpers the integration tests share: problem assertions, auth headers, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status, this stable code and a request id."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status and body["request_id"]
    return body


def auth(token: str) -> dict[str, str]:
    """API Gateway's Cognito authoriser takes the raw ID token in the Authorization header."""
    return {"Authorization": token}


def until(condition: Callable[[], Any], timeout: float = 90, message: str = "condition") -> Any:
    """Poll until ``condition()`` is truthy and return it. The deadline is generous on purpose: it
    bounds a hang, it is not a speed assertion (2 cores run the whole suite in parallel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


def totp(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code an authenticator app shows for a base32 ``secret`` (SHA-1, 6 digits, 30 s),
    what Cognito (and moto) check. Waits for the next step when this one ends within 2 s, so the
    code is still current when the server checks it (moto accepts the current step only)."""
    import base64
    import hashlib
    import hmac
    import struct

    if at is None:
        if 30 - time.time() % 30 < 2:
            time.sleep(30 - time.time() % 30 + 0.1)
        at = time.time()
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def wrong_totp(secret: str) -> str:
    """A well-formed code that is not the current one."""
    current = totp(secret)
    return f"{(int(current) + 1) % 1_000_000:06d}"
