"""The warehouse management system over HTTPS (the local cloud's simulator locally):
docs/fulfilment.md section 2."""

from __future__ import annotations

from commerce.adapters.http import post_json
from commerce.fulfilment.errors import WarehouseUnavailable
from commerce.fulfilment.ports import DispatchRequest

DEFAULT_TIMEOUT = 5.0


class HttpWarehouseSystem:
    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    def dispatch(self, request: DispatchRequest, idempotency_key: str) -> str:
        status, body = post_json(
            f"{self._base}/v1/dispatches",
            request.model_dump(mode="json"),
            idempotency_key,
            self._timeout,
            WarehouseUnavailable,
        )
        if status >= 300 or not body.get("dispatch_id"):
            raise WarehouseUnavailable(f"the warehouse refused the dispatch ({status})")
        return str(body["dispatch_id"])

    def cancel(self, dispatch_id: str, order_id: str, reason: str, idempotency_key: str) -> bool:
        status, _ = post_json(
            f"{self._base}/v1/dispatches/{dispatch_id}/cancel",
            {"order_id": order_id, "reason": reason},
            idempotency_key,
            self._timeout,
            WarehouseUnavailable,
        )
        if status == 409:
            return False
        if status >= 300:
            raise WarehouseUnavailable(f"the warehouse refused the cancel ({status})")
        return True
