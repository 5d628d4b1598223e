"""What reports needs: its counters, the flagged orders (orders context) and the stock (inventory)."""

from __future__ import annotations

from typing import Protocol

from commerce.reports.models import LowStockSku, OrderState


class Counters(Protocol):
    def state(self, order_id: str) -> OrderState | None: ...

    def apply(
        self,
        state: OrderState,
        statuses: dict[str, int],
        day: str | None,
        figures: dict[str, int],
    ) -> None:
        """One transaction: the order's state (conditional on its version: raises StateChanged),
        ``statuses`` added to the status gauge, ``figures`` added to the day's counters."""
        ...

    def statuses(self) -> dict[str, int]: ...

    def days(self, dates: list[str]) -> dict[str, dict[str, int]]:
        """The counters of each day that has any."""
        ...


class FlaggedOrders(Protocol):
    def flagged(self) -> dict[str, int]:
        """Orders waiting for staff by why: ``in_review``, ``fulfilment_exception``, ``attention``."""
        ...


class LowStock(Protocol):
    def low_stock(self) -> list[LowStockSku]: ...


class StateChanged(Exception):
    """The order's counter state changed since it was read: read again."""
