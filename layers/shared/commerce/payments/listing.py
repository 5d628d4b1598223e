"""The finance screens' listings of payments and refunds (back office, HANDLE_PAYMENTS): filters,
the index keys, the merge of the sharded index and the cursor. Pure: the reads go through
``PaymentIndex`` (``commerce.adapters.payments_dynamo.DynamoPaymentIndex``).

Every payment record, and every refund of one, carries the keys of two indexes of the payments
table (written with the record, ``DynamoPaymentRepository.save``):

- ``by_created``: ``list_shard`` = ``PAYMENT#<n>`` / ``REFUND#<n>``, sorted by ``list_sort``;
- ``by_status``: ``status_key`` = ``PAYMENT#<status>#<n>`` / ``REFUND#<state>#<n>``, same sort key;

``list_sort`` = ``<created_at>#<order_id>`` (a refund: ``<requested at>#<order_id>#<number>``) is
unique, so it is the whole position: a page asks each of the ``SHARDS`` partitions for its newest
``limit`` rows below the cursor (a date range is part of the key condition), keeps the newest
``limit`` of them and gives the last one's sort key as the next cursor. An order id is a GetItem
(payments) or one Query of the order's partition (refunds). No scan, no filter expression."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal, Protocol

from commerce.common.clock import iso
from commerce.common.errors import Unprocessable
from commerce.payments.models import Movement, Operation, Payment, PaymentStatus

SHARDS = 4
Kind = Literal["PAYMENT", "REFUND"]
REFUND_STATES = ("requested", "applied", "refused")
NEWEST = "~"  # sorts after every ISO timestamp: no upper bound


class InvalidListing(Unprocessable):
    code = "INVALID_PARAMETER"


class InvalidCursor(Unprocessable):
    code = "INVALID_CURSOR"


# ---- the keys written with each record ------------------------------------------------------------
def shard(order_id: str) -> int:
    return int(hashlib.sha256(order_id.encode()).hexdigest(), 16) % SHARDS


def payment_keys(payment: Payment) -> dict[str, str]:
    n = shard(payment.order_id)
    return {
        "list_shard": f"PAYMENT#{n}",
        "status_key": f"PAYMENT#{payment.status}#{n}",
        "list_sort": f"{payment.created_at}#{payment.order_id}",
    }


def refund_keys(order_id: str, refund: Movement) -> dict[str, str]:
    n = shard(order_id)
    return {
        "list_shard": f"REFUND#{n}",
        "status_key": f"REFUND#{refund.state}#{n}",
        "list_sort": f"{refund.at}#{order_id}#{refund.sequence:04d}",
    }


def refunds_of(payment: Payment) -> list[Movement]:
    return [m for m in payment.movements if m.operation is Operation.REFUND]


# ---- filters --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    kind: Kind
    status: str | None = None
    lower: str | None = None  # list_sort >= lower
    upper: str = NEWEST  # list_sort <= upper
    order_id: str | None = None

    def fingerprint(self) -> str:
        raw = json.dumps([self.kind, self.status, self.lower, self.upper, self.order_id])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def partitions(self) -> tuple[str, list[str]]:
        """The index and its partition keys to merge."""
        if self.status is None:
            return "by_created", [f"{self.kind}#{n}" for n in range(SHARDS)]
        return "by_status", [f"{self.kind}#{self.status}#{n}" for n in range(SHARDS)]

    def admits(self, item: dict[str, Any]) -> bool:
        """For the rows of an order id (read by key, not through the index)."""
        status_ok = self.status is None or str(item["status_key"]).startswith(f"{self.kind}#{self.status}#")
        return status_ok and (self.lower or "") <= str(item["list_sort"]) <= self.upper


def filters(
    kind: Kind,
    status: str | None = None,
    created_from: str | None = None,
    created_to: str | None = None,
    order_id: str | None = None,
) -> Filters:
    allowed = [str(s) for s in PaymentStatus] if kind == "PAYMENT" else list(REFUND_STATES)
    if status is not None and status not in allowed:
        raise InvalidListing(f"status is one of {', '.join(allowed)}.", parameter="status", allowed=allowed)
    lower = _bound(created_from, "created_from", end=False)
    upper = _bound(created_to, "created_to", end=True)
    if lower is not None and upper is not None and lower > upper:
        raise InvalidListing("created_from is after created_to.", parameter="created_from")
    return Filters(kind, status, lower, upper or NEWEST, order_id)


def _bound(raw: str | None, name: str, end: bool) -> str | None:
    """A date (the whole day, UTC) or an ISO date-time, as a bound on ``list_sort``."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time.min, UTC)
            return raw + "T~" if end else iso(moment)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidListing(f"{name} is a date (2026-11-22) or an ISO date-time.", parameter=name) from None
    stamp = iso((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC))
    return stamp + "#~" if end else stamp


# ---- reading ----------------------------------------------------------------------------------------
class PaymentIndex(Protocol):
    def newest(self, index: str, partition: str, lower: str | None, upper: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` items of one index partition with ``lower <= list_sort <= upper``,
        newest (highest ``list_sort``) first."""
        ...

    def of_order(self, kind: Kind, order_id: str) -> list[dict[str, Any]]:
        """The order's payment record or its refund items (with their index keys)."""
        ...


def page(
    index: PaymentIndex, wanted: Filters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The newest ``limit`` items below the cursor, and the next cursor (None at the end)."""
    after = _decode(cursor, wanted.fingerprint())
    if wanted.order_id is not None:
        if after is not None:
            return [], None  # an order's rows are one page
        rows = [item for item in index.of_order(wanted.kind, wanted.order_id) if wanted.admits(item)]
        return sorted(rows, key=lambda item: item["list_sort"], reverse=True), None
    upper = min(wanted.upper, after) if after is not None else wanted.upper
    if wanted.lower is not None and upper < wanted.lower:
        return [], None
    index_name, partitions = wanted.partitions()
    candidates: list[dict[str, Any]] = []
    more = False
    for partition in partitions:
        # two more than needed: the cursor's own row (sort keys are unique) and "is there more"
        read = index.newest(index_name, partition, wanted.lower, upper, limit + 2)
        found = [item for item in read if item["list_sort"] != after]
        more = more or len(found) > limit
        candidates += found[:limit]
    candidates.sort(key=lambda item: item["list_sort"], reverse=True)
    rows = candidates[:limit]
    more = more or len(candidates) > limit
    return rows, (_encode(rows[-1]["list_sort"], wanted.fingerprint()) if more and rows else None)


def _encode(at: str, fingerprint: str) -> str:
    raw = json.dumps({"at": at, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str | None, fingerprint: str) -> str | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, made_for = str(data["at"]), data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidCursor("The cursor is not valid.") from None
    if made_for != fingerprint:
        raise InvalidCursor("This cursor was made for other filters; start again without it.")
    return at
