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
