"""The transactional outbox (docs/orders.md section 2): every timeline entry ``ORDER#<id>``/
``EVENT#<seq>`` is written in the same transaction as the change it records; the orders table's
stream hands each new entry to ``orders-publish-events``, which puts it on the bus.

The event: Source ``commerce.orders``, DetailType = the entry's ``type``, Detail = the entry's
``detail`` plus ``event_id`` (``<order_id>:<seq>``), ``occurred_at``, ``order_id`` and ``by``.
Delivery is at least once (a retried batch may send an entry again): consumers de-duplicate by
``event_id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

SOURCE = "commerce.orders"
ENTRY_PREFIX = "EVENT#"


class BatchPublisher(Protocol):
    def put(self, source: str, events: list[tuple[str, dict[str, Any]]]) -> list[bool]: ...


@dataclass(frozen=True)
class Change:
    """One stream record, as the outbox sees it: its sequence number, what happened, the new item."""

    sequence: str
    name: str  # INSERT | MODIFY | REMOVE
    new: dict[str, Any] | None


def event_of(change: Change) -> tuple[str, dict[str, Any]] | None:
    """(detail type, detail) for a newly inserted timeline entry; None for every other record."""
    item = change.new
    if change.name != "INSERT" or not item or not str(item.get("sk", "")).startswith(ENTRY_PREFIX):
        return None
    order_id = str(item["pk"]).removeprefix("ORDER#")
    extra = item.get("detail")
    detail = dict(extra) if isinstance(extra, dict) else {}
    detail |= {
        "event_id": item["event_id"],
        "occurred_at": item["at"],
        "order_id": order_id,
        "by": item["by"],
    }
    return str(item["type"]), detail


class Outbox:
    def __init__(self, publisher: BatchPublisher) -> None:
        self._publisher = publisher

    def publish(self, changes: list[Change]) -> list[str]:
        """Publish the timeline entries among ``changes``; the sequence numbers of those that failed."""
        pending = [(change.sequence, event) for change in changes if (event := event_of(change)) is not None]
        if not pending:
            return []
        accepted = self._publisher.put(SOURCE, [event for _, event in pending])
        return [sequence for (sequence, _), ok in zip(pending, accepted, strict=True) if not ok]
