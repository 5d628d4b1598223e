"""The staff order listing (``GET /admin/orders``), as pure logic over an index reader.

**Plan.** The filters choose the index that drives the listing (docs/back-office.md):
an order id in ``q`` -> one look-up; an email in ``q`` -> ``by_email``; ``customer_id`` ->
``by_customer``; ``flagged=true`` -> the sparse ``flagged`` index (4 shards); a status or payment
status -> ``by_status``, one partition per status and shard; otherwise ``by_created`` (4 shards).
Every index is sorted by ``created_at``, so the date range is always part of the key condition.
The filters the driving index does not serve become conditions (a DynamoDB FilterExpression) on
its bounded, paginated queries.

**Merge.** Each partition queried is a *stream*, newest first. Rows are merged by
(``created_at``, ``order_id``), descending. A row is emitted only once every stream still open has
been read past it, so the merge is exact whatever the streams hold. The cursor is one position: the
last row emitted; every stream restarts there (``created_at <=`` the position, rows at or above it
dropped), so an order whose status moved between two pages is neither repeated nor reordered.
Each request reads at most ``len(streams) + EXTRA_QUERIES`` pages; when filters leave too few rows
in them, the page is shorter than ``limit`` and the cursor marks how far the reading got."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal, Protocol

from commerce.backoffice_orders.errors import InvalidFilter
from commerce.backoffice_orders.models import (
    PAYMENT_PHASES,
    REFUND_OF,
    AdminOrderRow,
    ListFilters,
    RefundState,
    payment_status_of,
)
from commerce.common.clock import iso
from commerce.orders import admin as keys
from commerce.orders.errors import InvalidCursor
from commerce.orders.models import Order, OrderStatus

ORDER_ID = re.compile(r"^ord_[0-9A-Za-z]{1,60}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
EXTRA_QUERIES = 20  # pages read per request beyond the first of each stream (the read bound)
FILTERED_BATCH = 100  # items a query evaluates when a FilterExpression may drop some
MIN_BATCH = 20  # and without one (orders created in the same millisecond in one partition must fit)
TOP, MAX_ID = "\uffff", "\uffff"
Position = tuple[str, str]  # (created_at, order_id)
INDEX_KEYS = {
    "by_created": "list_shard",
    "by_status": "status_key",
    "by_email": "contact_email",
    "by_customer": "customer_id",
    "flagged": "flag_key",
}


# ---- parsing --------------------------------------------------------------------------------------
def parse_filters(
    status: str | None = None,
    created_from: str | None = None,
    created_to: str | None = None,
    customer_id: str | None = None,
    min_total: int | None = None,
    max_total: int | None = None,
    payment_status: str | None = None,
    flagged: bool | None = None,
    q: str | None = None,
) -> ListFilters:
    statuses = None
    if status:
        try:
            statuses = frozenset(OrderStatus(s.strip()) for s in status.split(",") if s.strip())
        except ValueError:
            raise InvalidFilter(
                f"status is one or more of {', '.join(OrderStatus)}, separated by commas.", parameter="status"
            ) from None
    start = _moment(created_from, "created_from", end_of_day=False)
    end = _moment(created_to, "created_to", end_of_day=True)
    if start and end and start > end:
        raise InvalidFilter("created_from is after created_to.", parameter="created_from")
    if min_total is not None and max_total is not None and min_total > max_total:
        raise InvalidFilter("min_total is above max_total.", parameter="min_total")
    if payment_status is not None and payment_status not in PAYMENT_PHASES:
        raise InvalidFilter(f"payment_status is one of {', '.join(PAYMENT_PHASES)}.", parameter="payment_status")
    text = (q or "").strip() or None
    if text and not (ORDER_ID.match(text) or EMAIL.match(text)):
        raise InvalidFilter("q is an order id (ord_...) or a customer's email address.", parameter="q")
    return ListFilters(
        statuses=statuses or None,
        created_from=start,
        created_to=end,
        customer_id=customer_id,
        min_total=min_total,
        max_total=max_total,
        payment_status=payment_status,  # validated by the route (a Literal)
        flagged=flagged,
        q=text,
    )


def _moment(raw: str | None, name: str, end_of_day: bool) -> str | None:
    """A date (the whole day, UTC) or an ISO date-time, as the stored ``created_at`` (ms, Z)."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
            return iso(moment.replace(microsecond=999_000) if end_of_day else moment)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilter(f"{name} is a date (2026-11-22) or an ISO date-time.", parameter=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso(parsed.astimezone(UTC))


# ---- plan -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    index: str  # a key of INDEX_KEYS
    key: str  # the value of the index's partition key


@dataclass(frozen=True)
class Conditions:
    """Applied to each row a stream reads (a FilterExpression; ``matches`` in Python)."""

    statuses: frozenset[str] | None = None
    customer_id: str | None = None
    min_total: int | None = None
    max_total: int | None = None
    flagged: bool | None = None
    refund: RefundState | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass(frozen=True)
class Window:
    lower: str | None = None  # created_at >= lower
    upper: str | None = None  # created_at <= upper


@dataclass(frozen=True)
class Plan:
    streams: tuple[Stream, ...]
    conditions: Conditions
    window: Window
    order_id: str | None = None  # q is an order id: one look-up instead of streams


def plan(filters: ListFilters) -> Plan:
    statuses: frozenset[str] | None = frozenset(filters.statuses) if filters.statuses else None
    refund: RefundState | None = None
    if filters.payment_status is not None:
        phase = frozenset(str(s) for s in PAYMENT_PHASES[filters.payment_status])
        statuses = phase if statuses is None else statuses & phase
        refund = REFUND_OF.get(filters.payment_status)
    conditions = Conditions(
        statuses=statuses,
        customer_id=filters.customer_id,
        min_total=filters.min_total,
        max_total=filters.max_total,
        flagged=filters.flagged,
        refund=refund,
    )
    window = Window(filters.created_from, filters.created_to)
    shards = range(keys.SHARDS)
    if filters.q and ORDER_ID.match(filters.q):
        return Plan((), conditions, window, order_id=filters.q)
    if statuses is not None and not statuses:
        return Plan((), conditions, window)  # status and payment status exclude each other: nothing
    if filters.q:
        values = dict.fromkeys([filters.q, filters.q.lower()])  # as typed, and as most addresses are stored
        streams = tuple(Stream("by_email", value) for value in values)
        return Plan(streams, conditions, window)
    if filters.customer_id:
        return Plan((Stream("by_customer", filters.customer_id),), _without(conditions, "customer_id"), window)
    if filters.flagged:
        streams = tuple(Stream("flagged", f"FLAGGED#{n}") for n in shards)
        return Plan(streams, _without(conditions, "flagged"), window)
    if statuses is not None:
        streams = tuple(Stream("by_status", f"{s}#{n}") for s in sorted(statuses) for n in shards)
        return Plan(streams, _without(conditions, "statuses"), window)
    return Plan(tuple(Stream("by_created", f"ALL#{n}") for n in shards), conditions, window)


def _without(conditions: Conditions, name: str) -> Conditions:
    return Conditions(**(vars(conditions) | {name: None}))


def matches(item: dict[str, Any], conditions: Conditions) -> bool:
    """The conditions in Python, exactly as the adapter's FilterExpression states them."""
    total, refunded = int(item.get("total", 0)), int(item.get("refunded") or 0)
    checks = [
        conditions.statuses is None or item.get("status") in conditions.statuses,
        conditions.customer_id is None or item.get("customer_id") == conditions.customer_id,
        conditions.min_total is None or total >= conditions.min_total,
        conditions.max_total is None or total <= conditions.max_total,
        conditions.flagged is None or ("flag_key" in item) == conditions.flagged,
        conditions.refund is None or _refund_state(refunded, total) == conditions.refund,
    ]
    return all(checks)


def _refund_state(refunded: int, total: int) -> Literal["none", "partial", "full"]:
    if refunded <= 0:
        return "none"
    return "full" if refunded >= total else "partial"


def in_window(item: dict[str, Any], window: Window) -> bool:
    at = str(item.get("created_at", ""))
    return (window.lower is None or at >= window.lower) and (window.upper is None or at <= window.upper)


# ---- merge ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    rows: list[dict[str, Any]]
    next_start: Any | None  # the query's LastEvaluatedKey: None when the stream is exhausted
    reached: str | None  # created_at of next_start: everything newer has been read


class IndexReader(Protocol):
    def query(self, stream: Stream, window: Window, conditions: Conditions, start: Any | None, limit: int) -> Batch: ...


@dataclass
class _Reading:
    stream: Stream
    start: Any | None = None
    started: bool = False
    done: bool = False
    reached: str = TOP

    @property
    def frontier(self) -> Position:
        """Rows above it are all known."""
        if not self.started:
            return (TOP, MAX_ID)
        return ("", "") if self.done else (self.reached, MAX_ID)


@dataclass
class Page:
    rows: list[dict[str, Any]] = field(default_factory=list)
    next_position: Position | None = None
    queries: int = 0


def position(item: dict[str, Any]) -> Position:
    return (str(item["created_at"]), str(item["order_id"]))


def page(reader: IndexReader, the_plan: Plan, after: Position | None, limit: int) -> Page:
    """Up to ``limit`` rows older than ``after`` (newest first), and where the next page starts."""
    upper = the_plan.window.upper
    if after is not None:
        upper = min(upper, after[0]) if upper else after[0]
    window = Window(the_plan.window.lower, upper)
    batch_size = FILTERED_BATCH if the_plan.conditions.any else max(limit + 1, MIN_BATCH)
    readings = [_Reading(stream) for stream in the_plan.streams]
    found: dict[str, dict[str, Any]] = {}
    budget = len(readings) + EXTRA_QUERIES
    queries = 0
    while True:
        live = [r for r in readings if not r.done]
        front = max((r.frontier for r in live), default=("", ""))
        ready = [row for row in found.values() if position(row) > front]
        if not live or len(ready) >= limit or queries >= budget:
            break
        reading = max(live, key=lambda r: r.frontier)  # the one holding the merge back
        batch = reader.query(reading.stream, window, the_plan.conditions, reading.start, batch_size)
        queries += 1
        for row in batch.rows:
            if after is None or position(row) < after:
                found[str(row["order_id"])] = row
        reading.started, reading.start = True, batch.next_start
        reading.done = batch.next_start is None
        reading.reached = batch.reached or ""
    ready.sort(key=position, reverse=True)
    rows = ready[:limit]
    if not live and len(ready) <= limit:
        return Page(rows, None, queries)
    if len(rows) == limit:
        return Page(rows, position(rows[-1]), queries)
    return Page(rows, front, queries)  # the read bound stopped it: go on from where reading got


# ---- cursor and rows --------------------------------------------------------------------------------
def encode_cursor(at: Position, fingerprint: str) -> str:
    raw = json.dumps({"at": at[0], "id": at[1], "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> Position | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, order_id, made_for = str(data["at"]), str(data["id"]), data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidCursor("The cursor is not valid.") from None
    if made_for != fingerprint:
        raise InvalidCursor("This cursor was made for other filters; start again without it.")
    return (at, order_id)


def row_of(order: Order, flagged: bool) -> AdminOrderRow:
    return AdminOrderRow(
        order_id=order.order_id,
        status=order.status,
        customer_id=order.customer_id,
        contact_email=order.contact_email,
        total=order.total,
        refunded=order.refunded,
        currency=order.currency,
        item_count=sum(line.quantity for line in order.lines),
        created_at=order.created_at,
        updated_at=order.updated_at,
        payment_status=payment_status_of(order.status, order.refunded, order.total),
        flagged=flagged,
        held=order.hold is not None,
        attention=order.attention is not None,
    )
