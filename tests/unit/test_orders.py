"""Order placement rules over fakes: the signed quote token, the placement transaction's items, the
status rules, idempotent replays and the workflow's transitions."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.adapters.inventory_dynamo import DynamoStockRepository
from commerce.adapters.orders_dynamo import DynamoOrderRepository
from commerce.carts.service import Owner
from commerce.checkout.errors import InvalidQuoteToken, QuoteExpired
from commerce.checkout.tokens import QuoteClaims, TokenLine, owner_of, sign, verify
from commerce.customers.models import AddressInput
from commerce.orders.errors import (
    IdempotencyKeyReused,
    IdempotencyRecordExists,
    OrderNotFound,
    OrderStateConflict,
)
from commerce.orders.models import IdempotencyRecord, Order, OrderStatus, PlaceOrderRequest, TimelineEntry, can_move
from commerce.orders.service import OrderService, body_hash, hold_shard, new_order, workflow_input
from tests.unit.test_cart_service import Clock, FakeCarts, FakeCatalogue, FakeStock
from tests.unit.test_checkout_quote import FakeAddressBook, FakeQuotes, choices

KEY = bytes.fromhex("11" * 32)
NOW = 1_800_000_000
NL = AddressInput(name="Ada", line1="Dam 1", city="Amsterdam", postal_code="1012JS", country="NL")


def claims(owner: str = "customer:sub-1", expires_at: int = NOW + 900, quantity: int = 2) -> QuoteClaims:
    line = TokenLine(
        sku="SKU-1",
        product_id="p1",
        name="Thing",
        quantity=quantity,
        unit_price=1000,
        line_total=1000 * quantity,
        tax=0,
    )
    return QuoteClaims(
        quote_id="quo_1",
        owner=owner,
        lines=[line],
        subtotal=line.line_total,
        shipping=495,
        discount_total=0,
        tax=0,
        total=line.line_total + 495,
        currency="EUR",
        shipping_address=NL,
        invoice=None,
        note="",
        payment_method="card",
        expires_at=expires_at,
    )


# ---- the quote token --------------------------------------------------------------------------------
def test_a_signed_token_verifies_to_its_claims():
    assert verify(sign(claims(), KEY), KEY, NOW) == claims()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.split(".")[0][:-1] + "x." + t.split(".")[1],  # payload changed
        lambda t: t.split(".")[0] + "." + "0" * 64,  # signature replaced
        lambda t: t.replace(".", ""),  # no separator
        lambda t: "." + t.split(".")[1],  # no payload
    ],
)
def test_a_tampered_token_is_refused(mangle):
    with pytest.raises(InvalidQuoteToken):
        verify(mangle(sign(claims(), KEY)), KEY, NOW)


def test_a_token_signed_with_another_key_is_refused():
    with pytest.raises(InvalidQuoteToken):
        verify(sign(claims(), bytes(32)), KEY, NOW)


def test_an_expired_token_is_refused_as_expired():
    with pytest.raises(QuoteExpired):
        verify(sign(claims(expires_at=NOW), KEY), KEY, NOW)


def test_the_quote_response_carries_a_token_for_its_owner():
    from commerce.carts.service import CartService
    from commerce.checkout.service import CheckoutService

    carts, catalogue, stock, clock = FakeCarts(), FakeCatalogue(), FakeStock(), Clock()
    catalogue.put("CHEAP-1", 1999, weight=300)
    stock.levels["CHEAP-1"] = 5
    cart_service = CartService(carts, catalogue, stock, now=clock)

    class Signer:
        def key(self) -> bytes:
            return KEY

    checkout = CheckoutService(cart_service, FakeAddressBook(), FakeQuotes(), now=clock, signer=Signer())
    cart_service.add(Owner.customer("sub-1"), "CHEAP-1", 2)
    quote = checkout.quote(Owner.customer("sub-1"), NL, choices())
    assert quote.quote_token is not None
    got = verify(quote.quote_token, KEY, quote.expires_at - 1)
    assert got.owner == owner_of("sub-1", "ignored") == "customer:sub-1"
    assert (got.quote_id, got.total, got.lines[0].quantity) == (quote.quote_id, quote.total, 2)


# ---- status rules -----------------------------------------------------------------------------------------
def test_status_rules():
    assert can_move(OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_AUTHORISED)
    assert can_move(OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)
    assert not can_move(OrderStatus.EXPIRED, OrderStatus.PAYMENT_AUTHORISED)
    assert not can_move(OrderStatus.PAYMENT_AUTHORISED, OrderStatus.EXPIRED)  # cancellation comes later


# ---- the placement transaction ---------------------------------------------------------------------------
def test_the_placement_transaction_holds_lines_plus_four_items_with_their_conditions():
    order, first = new_order("ord_1", "sub-1", claims(), 1800, NOW)
    record = IdempotencyRecord(customer_id="sub-1", key="k" * 8, body_hash="h", order_id="ord_1")
    repo = DynamoOrderRepository("orders", "carts", DynamoStockRepository("inventory"))
    items = repo.place_items(order, first, record, NOW + 900)
    assert len(items) == 5
    idem, put_order, event, used, reserve = items
    assert idem["Put"]["Item"]["pk"] == {"S": "IDEMPOTENCY#sub-1#kkkkkkkk"}
    assert put_order["Put"]["Item"]["status"] == {"S": "awaiting_payment"}
    assert put_order["Put"]["Item"]["hold_shard"] == {"S": hold_shard("ord_1")}
    assert put_order["Put"]["Item"]["reserved_until"] == {"N": str(NOW + 1800)}
    assert event["Put"]["Item"]["sk"] == {"S": "EVENT#0001"} and event["Put"]["Item"]["type"] == {"S": "OrderPlaced"}
    assert used["Put"]["TableName"] == "carts" and used["Put"]["Item"]["sk"] == {"S": "USED"}
    for item in (idem, put_order, used):
        assert item["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    update = reserve["Update"]
    assert update["TableName"] == "inventory" and update["ConditionExpression"] == "available >= :q"
    assert update["UpdateExpression"] == "ADD reserved :r, available :a"
    assert update["ExpressionAttributeValues"] == {":r": {"N": "2"}, ":a": {"N": "-2"}, ":q": {"N": "2"}}
    release = DynamoStockRepository("inventory").release_items([("SKU-1", 2)])[0]["Update"]
    assert release["ConditionExpression"] == "reserved >= :q"
    assert release["ExpressionAttributeValues"] == {":r": {"N": "-2"}, ":a": {"N": "2"}, ":q": {"N": "2"}}


def test_hold_shards_spread_over_eight_partitions():
    assert {hold_shard(f"ord_{i}") for i in range(200)} == {f"HOLD#{n}" for n in range(8)}


# ---- the service over fakes --------------------------------------------------------------------------------
class FakeOrders:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.records: dict[tuple[str, str], IdempotencyRecord] = {}
        self.moves: list[tuple[str, OrderStatus, bool]] = []
        self.entries: dict[str, list[TimelineEntry]] = {}

    def place(self, order: Order, first: TimelineEntry, idempotency: IdempotencyRecord, quote_expires_at: int) -> None:
        if (idempotency.customer_id, idempotency.key) in self.records:
            raise IdempotencyRecordExists()
        self.records[(idempotency.customer_id, idempotency.key)] = idempotency
        self.orders[order.order_id] = order

    def idempotency(self, customer_id: str, key: str) -> IdempotencyRecord | None:
        return self.records.get((customer_id, key))

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def timeline(self, order_id: str) -> list[TimelineEntry]:
        return list(self.entries.get(order_id, []))

    def page(self, customer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        return [], None

    def move(
        self,
        order: Order,
        to: OrderStatus,
        entry: TimelineEntry,
        release: bool,
        now: str,
        task_token: str | None = None,
        leave_holds: bool = False,
    ) -> None:
        current = self.orders[order.order_id]
        if (current.status, current.timeline_seq, current.task_token) != (
            order.status,
            order.timeline_seq,
            order.task_token,
        ):
            raise OrderStateConflict("moved meanwhile")
        self.moves.append((order.order_id, to, release))
        self.entries.setdefault(order.order_id, []).append(entry)
        self.orders[order.order_id] = order.model_copy(
            update={"status": to, "timeline_seq": entry.seq, "task_token": task_token}
        )

    def store_task_token(self, order: Order, task_token: str) -> None:
        current = self.orders[order.order_id]
        if (current.status, current.timeline_seq) != (order.status, order.timeline_seq):
            raise OrderStateConflict("moved meanwhile")
        self.orders[order.order_id] = current.model_copy(update={"task_token": task_token})

    def orders_since(self, customer_id: str, since: str) -> int:
        return sum(1 for o in self.orders.values() if o.customer_id == customer_id and o.created_at >= since)


class FakeWorkflow:
    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, Any]]] = []

    def start(self, name: str, payload: dict[str, Any]) -> bool:
        self.started.append((name, payload))
        return True


class FakePayments:
    def __init__(self) -> None:
        self.voided: list[str] = []
        self.tokens: dict[str, str] = {}

    def state(self, order_id: str) -> dict[str, Any] | None:
        return None

    def void_if_authorised(self, order_id: str) -> bool:
        self.voided.append(order_id)
        return True

    def release_payment(self, order_id: str) -> str | None:
        self.voided.append(order_id)
        return "voided"

    def task_token(self, order_id: str) -> str | None:
        return self.tokens.get(order_id)


@pytest.fixture
def service() -> tuple[OrderService, FakeOrders, FakeWorkflow, FakePayments]:
    orders, workflow, payments = FakeOrders(), FakeWorkflow(), FakePayments()
    svc = OrderService(orders, workflow, key=lambda: KEY, payments=payments, now=lambda: NOW, window=lambda: 60)
    return svc, orders, workflow, payments


def request(**claim_args: Any) -> PlaceOrderRequest:
    return PlaceOrderRequest(quote_token=sign(claims(**claim_args), KEY), payment_token="tok_approve")


def test_place_then_replay_the_same_request_and_refuse_a_reused_key(service):
    svc, _orders, workflow, _ = service
    order, created = svc.place("sub-1", "key-00001", request())
    assert created and order.status is OrderStatus.AWAITING_PAYMENT and order.reserved_until == NOW + 60
    again, created_again = svc.place("sub-1", "key-00001", request())
    assert not created_again and again.order_id == order.order_id
    assert [name for name, _ in workflow.started] == [order.order_id, order.order_id]
    assert workflow.started[0][1] == workflow.started[1][1] == workflow_input(order, "tok_approve")
    with pytest.raises(IdempotencyKeyReused):
        svc.place("sub-1", "key-00001", request(quantity=3))
    assert body_hash(request()) != body_hash(request(quantity=3))


def test_a_token_issued_to_another_owner_is_refused(service):
    svc, *_ = service
    with pytest.raises(InvalidQuoteToken):
        svc.place("sub-2", "key-00001", request())
    with pytest.raises(InvalidQuoteToken):
        svc.place("sub-1", "key-00001", request(owner="cart:abc"))


def test_transitions_are_conditional_idempotent_and_release_on_the_way_out(service):
    svc, orders, _, payments = service
    authorised, _ = svc.place("sub-1", "key-00001", request())
    assert svc.transition("authorised", authorised.order_id)["status"] == "payment_authorised"
    assert svc.transition("authorised", authorised.order_id)["status"] == "payment_authorised"  # a retry
    assert orders.moves == [(authorised.order_id, OrderStatus.PAYMENT_AUTHORISED, False)]
    with pytest.raises(OrderStateConflict):
        svc.transition("expire", authorised.order_id)
    expiring, _ = svc.place(
        "sub-1", "key-00002", PlaceOrderRequest(quote_token=sign(claims(), KEY), payment_token="tok_x")
    )
    svc.transition("expire", expiring.order_id)
    assert orders.moves[-1] == (expiring.order_id, OrderStatus.EXPIRED, True)
    assert payments.voided == [expiring.order_id]
    with pytest.raises(OrderNotFound):
        svc.transition("expire", "ord_nope")
    with pytest.raises(OrderStateConflict):
        svc.transition("cancel", expiring.order_id)  # nobody asked to cancel it
    with pytest.raises(ValueError):
        svc.transition("nope", expiring.order_id)
