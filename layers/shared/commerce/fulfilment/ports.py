"""What fulfilment needs from the warehouse system, the payments context and the workflow."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel


class DispatchLine(BaseModel):
    sku: str
    name: str
    quantity: int


class DispatchRequest(BaseModel):
    order_id: str
    warehouse: str
    lines: list[DispatchLine]
    ship_to: dict[str, Any]
    delivery_method: str | None = None


class WarehouseSystem(Protocol):
    def dispatch(self, request: DispatchRequest, idempotency_key: str) -> str:
        """The warehouse's dispatch id. The same key answers the same. Raises WarehouseUnavailable."""
        ...

    def cancel(self, dispatch_id: str, order_id: str, reason: str, idempotency_key: str) -> bool:
        """True: the goods are put back; False: the warehouse says it handed them over already."""
        ...


class Capture(Protocol):
    def capture_for_dispatch(self, order_id: str) -> int:
        """Capture 1 of the order's authorisation (all of it). Idempotent; the amount captured.
        Raises GatewayUnavailable (retry) or CaptureRefused."""
        ...


class Callback(Protocol):
    def succeed(self, task_token: str, output: dict[str, Any]) -> bool: ...

    def fail(self, task_token: str, error: str, cause: str) -> bool: ...
