"""Assertions every HTTP test shares."""

from __future__ import annotations

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
