"""The staff order listing's pure logic (filters, the index plan, the exact merge of index
partitions with one keyset cursor) and the back-office use cases over in-memory fakes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from commerce.backoffice_orders import listing
from commerce.backoffice_orders.errors import (
    DispatchAlreadyRequested,
    InvalidFilter,
    NothingToRefund,
    OrderAlreadyHeld,
    OrderNotHeld,
    RefundExceedsRefundable,
    RefundKeyUsed,
    RefundNumberTaken,
    ShippingCountryChange,
)
from commerce.backoffice_orders.listing import Batch, Conditions, Stream, Window
from commerce.backoffice_orders.models import (
    ListFilters,
    Note,
    OrderPartition,
    RefundRecord,
    RefundRequest,
    ResendRecord,
    payment_status_of,
)
from commerce.backoffice_orders.ports import RefundOutcome
from commerce.backoffice_orders.service import BackOfficeOrders
from commerce.customers.models import AddressInput
from commerce.fulfilment.models import Shipment
from commerce.orders import admin as keys
from commerce.orders.errors import IdempotencyKeyReused, InvalidCursor, OrderStateConflict
from commerce.orders.models import Order, OrderStatus, TimelineEntry
from commerce.orders.ports import OrderWrite

S = OrderStatus
NL = {"name": "Ada", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012JS", "country": "NL"}


# ---- filters and the plan --------------------------------------------------------------------------
def test_filters_are_parsed_and_bad_ones_name_their_parameter():
    got = listing.parse_filters(status="in_review, approved", created_from="2026-11-01", created_to="2026-11-02")
    assert got.statuses == {S.IN_REVIEW, S.APPROVED}
    assert got.created_from == "2026-11-01T00:00:00.000Z" and got.created_to == "2026-11-02T23:59:59.999Z"
    assert listing.parse_filters(created_from="2026-11-01T10:00:00+01:00").created_from == "2026-11-01T09:00:00.000Z"
    for kwargs, parameter in [
        ({"status": "shipped,lost"}, "status"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_from": "2026-11-03", "created_to": "2026-11-02"}, "created_from"),
        ({"min_total": 10, "max_total": 5}, "min_total"),
        ({"q": "not an id"}, "q"),
        ({"payment_status": "stolen"}, "payment_status"),
    ]:
        with pytest.raises(InvalidFilter) as refused:
            listing.parse_filters(**kwargs)
        assert refused.value.extensions["parameter"] == parameter and refused.value.status == 422


def test_the_plan_drives_each_filter_from_the_cheapest_index():
    plan = listing.plan
    assert [s.index for s in plan(ListFilters()).streams] == ["by_created"] * keys.SHARDS
    by_status = plan(ListFilters(statuses=frozenset({S.SHIPPED})))
    assert {s.key for s in by_status.streams} == {f"shipped#{n}" for n in range(keys.SHARDS)}
    assert by_status.conditions.statuses is None  # served by the key
    flagged = plan(ListFilters(flagged=True, min_total=100))
    assert {s.index for s in flagged.streams} == {"flagged"} and flagged.conditions.min_total == 100
    email = plan(ListFilters(q="Ada@Example.com", customer_id="c1"))
    assert [s.key for s in email.streams] == ["Ada@Example.com", "ada@example.com"]
    assert email.conditions.customer_id == "c1"  # not the driver: a condition
    assert plan(ListFilters(customer_id="c1")).streams == (Stream("by_customer", "c1"),)
    assert plan(ListFilters(q="ord_01ABC")).order_id == "ord_01ABC"
    refunded = plan(ListFilters(payment_status="partially_refunded", statuses=frozenset({S.DELIVERED, S.IN_REVIEW})))
    assert {s.key.split("#")[0] for s in refunded.streams} == {"delivered"} and refunded.conditions.refund == "partial"
    nothing = plan(ListFilters(payment_status="pending", statuses=frozenset({S.SHIPPED})))
    assert nothing.streams == () and nothing.order_id is None


def test_the_payment_status_an_order_shows():
    assert payment_status_of(S.AWAITING_PAYMENT, 0, 100) == "pending"
    assert payment_status_of(S.IN_REVIEW, 0, 100) == "authorised"
    assert payment_status_of(S.DELIVERED, 0, 100) == "captured"
    assert payment_status_of(S.DELIVERED, 40, 100) == "partially_refunded"
    assert payment_status_of(S.COMPLETED, 100, 100) == "refunded"
    assert payment_status_of(S.EXPIRED, 0, 100) == "voided"
    assert payment_status_of(S.AWAITING_PAYMENT_RETRY, 0, 100) == "failed"


def test_flagged_is_review_exception_or_attention_until_finished():
    assert keys.is_flagged(S.IN_REVIEW, None) and keys.is_flagged(S.FULFILMENT_EXCEPTION, None)
    assert keys.is_flagged(S.HANDED_TO_CARRIER, {"reason": "workflow_ended"})
    assert not keys.is_flagged(S.CANCELLED, {"reason": "workflow_ended"})
    assert not keys.is_flagged(S.READY_FOR_FULFILMENT, None)


# ---- the merge ---------------------------------------------------------------------------------------
class FakeIndex:
    """Index partitions in memory, read as DynamoDB does: ``Limit`` items evaluated, newest first,
    the conditions applied after the limit, a LastEvaluatedKey while more remain."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.queries = 0

    def query(self, stream: Stream, window: Window, conditions: Conditions, start: Any, limit: int) -> Batch:
        self.queries += 1
        attribute = listing.INDEX_KEYS[stream.index]
        part = [i for i in self.items if i.get(attribute) == stream.key and listing.in_window(i, window)]
        part.sort(key=lambda i: (i["created_at"], i["pk"]), reverse=True)
        begin = 0 if start is None else next(n for n, i in enumerate(part) if i["pk"] == start) + 1
        evaluated = part[begin : begin + limit]
        more = begin + limit < len(part)
        last = evaluated[-1] if more and evaluated else None
        rows = [i for i in evaluated if listing.matches(i, conditions)]
        return Batch(rows, last["pk"] if last else None, last["created_at"] if last else None)


def order_item(n: int, status: S = S.SHIPPED, total: int = 1000, at: str | None = None, **extra: Any) -> dict[str, Any]:
    order_id = f"ord_{n:05d}"
    item = {
        "pk": f"ORDER#{order_id}",
        "order_id": order_id,
        "created_at": at or f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:00:{n % 60:02d}.000Z",
        "status": str(status),
        "total": total,
        "customer_id": f"c{n % 3}",
        "contact_email": f"c{n % 3}@example.com",
        "list_shard": keys.list_shard(order_id),
        "status_key": keys.status_key(order_id, status),
    }
    if keys.is_flagged(status, extra.get("attention")):
        item["flag_key"] = keys.flag_key(order_id)
    return item | extra


def walk(index: FakeIndex, filters: ListFilters, limit: int) -> list[str]:
    """Every page to the end, through the cursor: the order ids in the order they came."""
    seen: list[str] = []
    after = None
    plan = listing.plan(filters)
    for _ in range(500):
        page = listing.page(index, plan, after, limit)
        seen += [row["order_id"] for row in page.rows]
        if page.next_position is None:
            return seen
        cursor = listing.encode_cursor(page.next_position, filters.fingerprint())
        after = listing.decode_cursor(cursor, filters.fingerprint())
    raise AssertionError("never ended")


def expected(items: list[dict[str, Any]], keep: Any) -> list[str]:
    chosen = [i for i in items if keep(i)]
    return [i["order_id"] for i in sorted(chosen, key=listing.position, reverse=True)]


def test_the_merge_is_exact_newest_first_with_ties_and_any_page_size():
    rng = random.Random(7)
    statuses = [S.SHIPPED, S.IN_REVIEW, S.CANCELLED, S.DELIVERED]
    items = [
        order_item(n, rng.choice(statuses), total=rng.randrange(100, 5000), at=f"2026-11-01T10:{n % 12:02d}:00.000Z")
        for n in range(120)  # created in twelve milliseconds: ten orders share each (ties everywhere)
    ]
    index = FakeIndex(items)
    for limit in (1, 7, 25, 100):
        assert walk(index, ListFilters(), limit) == expected(items, lambda i: True)
        assert walk(index, ListFilters(statuses=frozenset({S.SHIPPED, S.CANCELLED})), limit) == expected(
            items, lambda i: i["status"] in ("shipped", "cancelled")
        )
    assert walk(index, ListFilters(flagged=True), 5) == expected(items, lambda i: i["status"] == "in_review")
    assert walk(index, ListFilters(min_total=2000, max_total=3000), 4) == expected(
        items, lambda i: 2000 <= i["total"] <= 3000
    )


def test_the_date_range_and_a_sparse_filter_across_pages():
    items = [order_item(n, total=5000 if n % 40 == 0 else 100) for n in range(400)]
    index = FakeIndex(items)
    filters = listing.parse_filters(created_from="2026-11-03", created_to="2026-11-20", min_total=4000)
    assert walk(index, filters, 3) == expected(
        items, lambda i: "2026-11-03" <= i["created_at"] < "2026-11-21" and i["total"] >= 4000
    )


def test_a_page_stops_at_the_read_bound_and_the_cursor_goes_on_from_there():
    items = [order_item(n, total=100) for n in range(3000)] + [order_item(5000, total=9000, at="2026-10-01T00:00:00Z")]
    index = FakeIndex(items)
    plan = listing.plan(ListFilters(min_total=5000))
    page = listing.page(index, plan, None, 10)
    assert page.rows == [] and page.next_position is not None  # nothing found yet, but not the end
    assert page.queries <= len(plan.streams) + listing.EXTRA_QUERIES
    assert walk(index, ListFilters(min_total=5000), 10) == ["ord_05000"]


def test_an_order_that_changes_status_between_pages_is_neither_repeated_nor_reordered():
    items = [order_item(n, S.READY_FOR_FULFILMENT if n % 2 else S.SHIPPED) for n in range(40)]
    index = FakeIndex(items)
    filters = ListFilters(statuses=frozenset({S.READY_FOR_FULFILMENT, S.SHIPPED}))
    plan = listing.plan(filters)
    first = listing.page(index, plan, None, 10)
    for item in items:  # every ready order ships meanwhile: it moves to the other partition
        if item["status"] == "ready_for_fulfilment":
            item |= {"status": "shipped", "status_key": keys.status_key(item["order_id"], S.SHIPPED)}
    rest = walk_from(index, plan, first.next_position, 10)
    seen = [r["order_id"] for r in first.rows] + rest
    assert seen == expected(items, lambda i: True) and len(set(seen)) == 40


def walk_from(index: FakeIndex, plan: listing.Plan, after: Any, limit: int) -> list[str]:
    seen: list[str] = []
    while after is not None:
        page = listing.page(index, plan, after, limit)
        seen += [row["order_id"] for row in page.rows]
        after = page.next_position
    return seen


def test_a_cursor_belongs_to_its_filters():
    cursor = listing.encode_cursor(("2026-11-01T00:00:00.000Z", "ord_1"), ListFilters().fingerprint())
    with pytest.raises(InvalidCursor):
        listing.decode_cursor(cursor, ListFilters(flagged=True).fingerprint())
    with pytest.raises(InvalidCursor):
        listing.decode_cursor("%%%not-base64", ListFilters().fingerprint())
    assert (
        ListFilters(statuses=frozenset({S.SHIPPED, S.IN_REVIEW})).fingerprint()
        == ListFilters(statuses=frozenset({S.IN_REVIEW, S.SHIPPED})).fingerprint()
    )


# ---- use cases over fakes -------------------------------------------------------------------------------
def an_order(status: S = S.READY_FOR_FULFILMENT, **extra: Any) -> Order:
    return Order.model_validate(
        {
            "order_id": "ord_1",
            "customer_id": "c1",
            "status": status,
            "quote_id": "q1",
            "currency": "EUR",
            "lines": [
                {
                    "sku": "A",
                    "product_id": "p",
                    "name": "A",
                    "quantity": 1,
                    "unit_price": 5000,
                    "line_total": 5000,
                    "tax": 0,
                }
            ],
            "subtotal": 5000,
            "shipping": 0,
            "discount_total": 0,
            "tax": 0,
            "total": 5000,
            "shipping_address": NL,
            "payment_method": "card",
            "contact_email": "ada@example.com",
            "payment_window_seconds": 60,
            "created_at": "2026-11-22T10:00:00.000Z",
            "updated_at": "2026-11-22T10:00:00.000Z",
        }
        | extra
    )


class FakeOrders:
    """One order partition in memory; ``write`` is conditional on timeline_seq like DynamoDB's."""

    def __init__(self, order: Order, shipment: Shipment | None = None) -> None:
        self.order = order
        self.timeline: list[TimelineEntry] = []
        self.ship = shipment
        self.notes: list[Note] = []
        self.resends: list[ResendRecord] = []
        self.ledger: dict[int, RefundRecord] = {}
        self.keys: dict[str, int] = {}
        self.before_write: Any = None

    def get(self, order_id: str) -> Order | None:
        return self.order if order_id == self.order.order_id else None

    def shipment(self, order_id: str) -> Shipment | None:
        return self.ship

    def write(self, change: OrderWrite) -> None:
        if self.before_write is not None:
            hook, self.before_write = self.before_write, None
            hook()
        if change.order.timeline_seq != self.order.timeline_seq:
            raise OrderStateConflict("changed")
        assert change.entry is not None
        self.timeline.append(change.entry)
        update = {"timeline_seq": change.entry.seq} | dict(change.changes or {})
        if "shipping_address" in update:
            update["shipping_address"] = AddressInput.model_validate(update["shipping_address"])
        self.order = self.order.model_copy(update=update)

    def partition(self, order_id: str) -> OrderPartition | None:
        return OrderPartition(
            order=self.order, timeline=self.timeline, shipment=self.ship, notes=self.notes, resends=self.resends
        )

    def item(self, order_id: str) -> dict[str, Any] | None:
        return None

    def query(self, *args: Any) -> Batch:
        raise AssertionError("not used")

    def add_note(self, order_id: str, note: Note) -> None:
        self.notes.append(note)

    def add_resend(self, order_id: str, resend: ResendRecord) -> None:
        self.resends.append(resend)

    # the refund ledger
    def refunds(self, order_id: str) -> list[RefundRecord]:
        return list(self.ledger.values())

    def by_key(self, order_id: str, key: str) -> RefundRecord | None:
        return self.ledger.get(self.keys[key]) if key in self.keys else None

    def reserve(self, order_id: str, record: RefundRecord) -> None:
        if record.idempotency_key in self.keys:
            raise RefundKeyUsed(record.idempotency_key)
        if record.refund_number in self.ledger:
            raise RefundNumberTaken(str(record.refund_number))
        self.keys[record.idempotency_key] = record.refund_number
        self.ledger[record.refund_number] = record

    def settle(self, order_id: str, number: int, state: str, decline_code: str | None) -> None:
        self.ledger[number] = self.ledger[number].model_copy(update={"state": state})


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, order_id: str, task_token: str) -> None:
        self.sent.append((order_id, task_token))


class FakePayments:
    def __init__(self, captured: int) -> None:
        self.captured, self.refunded = captured, 0
        self.calls: list[tuple[int, int]] = []
        self.done: set[int] = set()

    def summary(self, order_id: str) -> dict[str, Any] | None:
        return {"captured": self.captured, "refunded": self.refunded, "currency": "EUR", "refund_count": len(self.done)}

    def refund(self, order_id: str, amount: int, number: int) -> RefundOutcome:
        self.calls.append((number, amount))
        if number not in self.done:  # the payments service's explicit number: once per number
            self.done.add(number)
            self.refunded += amount
        return RefundOutcome("applied", None, self.captured, self.refunded)


def test_a_hold_keeps_the_dispatch_back_and_the_release_queues_the_stored_request():
    orders, queue = FakeOrders(an_order()), FakeQueue()
    service = BackOfficeOrders(orders, dispatch=queue)
    held = service.hold("ord_1", "Fraud check", "s1")
    assert held.hold and held.hold["reason"] == "Fraud check" and held.hold["by"] == "staff:s1"
    assert [e.type for e in orders.timeline] == ["OrderHeld"] and "reason" not in orders.timeline[0].detail
    with pytest.raises(OrderAlreadyHeld):
        service.hold("ord_1", "again", "s1")
    orders.order = orders.order.model_copy(update={"task_token": "tok-dispatch"})  # the handler stored it
    released = service.release("ord_1", "s2")
    assert released.hold is None and queue.sent == [("ord_1", "tok-dispatch")]
    assert [e.type for e in orders.timeline] == ["OrderHeld", "OrderReleased"]


def test_a_release_before_the_workflow_reached_dispatch_queues_nothing_and_twice_is_refused():
    orders, queue = FakeOrders(an_order(S.IN_REVIEW)), FakeQueue()
    service = BackOfficeOrders(orders, dispatch=queue)
    service.hold("ord_1", "Call the customer", "s1")
    service.release("ord_1", "s1")
    assert queue.sent == []
    with pytest.raises(OrderNotHeld):
        service.release("ord_1", "s1")


def test_hold_and_address_are_refused_once_the_dispatch_request_went_to_the_warehouse():
    shipment = Shipment(order_id="ord_1", warehouse="main", requested_at="t", updated_at="t")
    service = BackOfficeOrders(FakeOrders(an_order(), shipment))
    with pytest.raises(DispatchAlreadyRequested):
        service.hold("ord_1", "too late", "s1")
    with pytest.raises(DispatchAlreadyRequested):
        service.change_address("ord_1", AddressInput.model_validate(NL | {"line1": "Dam 2"}), "s1")


def test_a_hold_that_loses_the_race_to_the_dispatch_handler_is_refused():
    orders = FakeOrders(an_order())
    service = BackOfficeOrders(orders)

    def the_handler_sends_first() -> None:
        orders.order = orders.order.model_copy(update={"timeline_seq": 2})
        orders.ship = Shipment(order_id="ord_1", warehouse="main", requested_at="t", updated_at="t")

    orders.before_write = the_handler_sends_first
    with pytest.raises(DispatchAlreadyRequested):
        service.hold("ord_1", "Fraud check", "s1")
    assert orders.order.hold is None


def test_the_address_changes_within_its_country_only():
    orders = FakeOrders(an_order(S.APPROVED))
    service = BackOfficeOrders(orders)
    with pytest.raises(ShippingCountryChange):
        service.change_address("ord_1", AddressInput.model_validate(NL | {"country": "BE"}), "s1")
    after = service.change_address("ord_1", AddressInput.model_validate(NL | {"line1": "Dam 2"}), "s1")
    assert after.order.shipping_address.line1 == "Dam 2"
    service.change_address("ord_1", AddressInput.model_validate(NL | {"line1": "Dam 2"}), "s1")  # the same: nothing
    assert [e.type for e in orders.timeline] == ["OrderShippingAddressChanged"]


def test_a_refund_is_made_once_per_key_and_never_beyond_what_was_captured():
    orders, payments = FakeOrders(an_order(S.DELIVERED)), FakePayments(captured=5000)
    service = BackOfficeOrders(orders, payments=payments, ledger=orders)
    request = RefundRequest(amount=1500, reason="Damaged box")
    first, created = service.refund("ord_1", "key-00000001", request, "s1")
    assert created and first.refund_number == 1 and first.refunded_total == 1500 and first.refundable == 3500
    again, created = service.refund("ord_1", "key-00000001", request, "s1")
    assert not created and again.refund_number == 1 and payments.refunded == 1500
    with pytest.raises(IdempotencyKeyReused):
        service.refund("ord_1", "key-00000001", RefundRequest(amount=10, reason="other"), "s1")
    with pytest.raises(RefundExceedsRefundable) as too_much:
        service.refund("ord_1", "key-00000002", RefundRequest(amount=3501, reason="x"), "s1")
    assert too_much.value.extensions["refundable"] == 3500
    second, _ = service.refund("ord_1", "key-00000003", RefundRequest(amount=3500, reason="rest"), "s1")
    assert second.refund_number == 2 and second.refundable == 0
    assert [e.detail["refund_number"] for e in orders.timeline if e.type == "OrderRefunded"] == [1, 2]
    assert orders.order.refunded == 5000
    with pytest.raises(NothingToRefund):
        service.refund("ord_1", "key-00000004", RefundRequest(amount=1, reason="x"), "s1")
