"""Partner webhook signatures (payment gateway, warehouse, carriers): ``X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>``.

Verified over the RAW body (never re-serialised JSON), compared in constant time, inside a replay
window either side of now. Failures say only which code applies, never which part was wrong."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from commerce.common.errors import DomainError


class InvalidSignature(DomainError):
    status, code, title = 401, "INVALID_SIGNATURE", "Invalid signature"


class StaleSignature(DomainError):
    status, code, title = 401, "STALE_SIGNATURE", "Signature outside the replay window"


M = TypeVar("M", bound=BaseModel)
TOLERANCE_SECONDS = 300
HEADER = "X-Signature"


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(key: bytes, header: str | None, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> int:
    """The signed timestamp, or InvalidSignature / StaleSignature."""
    timestamp, signatures = _parse(header)
    expected = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    # every v1 is compared (constant time each), so timing tells nothing about which one matched
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignature("The webhook signature does not verify.")
    if abs(now - timestamp) > tolerance:
        raise StaleSignature("The webhook signature is outside the replay window.")
    return timestamp


def _parse(header: str | None) -> tuple[int, list[str]]:
    if not header or len(header) > 1024:
        raise InvalidSignature("The webhook signature does not verify.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value.strip())
    if timestamp is None or not signatures:
        raise InvalidSignature("The webhook signature does not verify.")
    return timestamp, signatures


def signed_event(key: bytes, header: str | None, raw: bytes, model: type[M], invalid: type[DomainError]) -> M:
    """A partner webhook's body as ``model``, once its signature verifies (the signature first:
    an unsigned body is never parsed)."""
    verify(key, header, raw, now=time.time())
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])
        raise invalid(f"The webhook body is not valid: {problems}") from None
