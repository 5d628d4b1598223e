"""The merchant gateway over HTTPS (the sandbox bank locally), with the stdlib only.

POST {base}/v1/authorisations | captures | voids | refunds with an ``Idempotency-Key`` header.
Timeouts, connection errors and 5xx raise ``GatewayUnavailable`` (retry with the same key);
declines are 2xx/4xx answers with ``status: declined``."""

from __future__ import annotations

from typing import Any

from commerce.adapters.http import post_json
from commerce.payments.errors import GatewayUnavailable
from commerce.payments.models import GatewayAck

DEFAULT_TIMEOUT = 2.0  # seconds; the task retries (with backoff) rather than wait long


class HttpMerchantGateway:
    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    def authorise(self, token: str, amount: int, currency: str, idempotency_key: str, order_id: str) -> GatewayAck:
        body = {"token": token, "amount": amount, "currency": currency, "order_id": order_id}
        return self._post("/v1/authorisations", body, idempotency_key)

    def capture(
        self, authorisation: str, amount: int, currency: str, idempotency_key: str, order_id: str
    ) -> GatewayAck:
        body = {"authorisation": authorisation, "amount": amount, "currency": currency, "order_id": order_id}
        return self._post("/v1/captures", body, idempotency_key)

    def void(self, authorisation: str, idempotency_key: str, order_id: str) -> GatewayAck:
        return self._post("/v1/voids", {"authorisation": authorisation, "order_id": order_id}, idempotency_key)

    def refund(self, authorisation: str, amount: int, currency: str, idempotency_key: str, order_id: str) -> GatewayAck:
        body = {"authorisation": authorisation, "amount": amount, "currency": currency, "order_id": order_id}
        return self._post("/v1/refunds", body, idempotency_key)

    def _post(self, path: str, body: dict[str, Any], idempotency_key: str) -> GatewayAck:
        status, payload = post_json(self._base + path, body, idempotency_key, self._timeout, GatewayUnavailable)
        if status >= 400 and "status" not in payload:
            raise GatewayUnavailable(f"gateway refused {path} with {status}")
        return GatewayAck.model_validate(payload)
