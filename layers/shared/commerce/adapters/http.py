"""JSON over HTTPS to a partner API (the merchant gateway, the warehouse system), stdlib only.

Every POST carries an ``Idempotency-Key``, so the caller retries with the same key. Timeouts,
connection errors and 5xx raise the caller's "unavailable" error (retryable); any other answer is
returned as (status, JSON body) for the caller to interpret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def post_json(
    url: str, body: dict[str, Any], idempotency_key: str, timeout: float, unavailable: type[Exception]
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), _json(response.read())
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise unavailable(f"{url} answered {error.code}") from None
        return error.code, _json(error.read())
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        raise unavailable(f"{url} unreachable: {type(error).__name__}") from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
