"""Cart rules over in-memory fakes: limits, re-pricing and notices, expiry, concurrency, merge."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from pydantic import ValidationError

from commerce.carts.errors import (
    CartBusy,
    CartNotFound,
    InsufficientStock,
    LineNotFound,
    ProductUnavailable,
    QuantityLimit,
    TooManyLines,
    UnknownSku,
    VersionConflict,
)
from commerce.carts.models import (
    ANONYMOUS_TTL_SECONDS,
    CUSTOMER_TTL_SECONDS,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    AddItem,
    NoticeCode,
    PricedSku,
    SetQuantity,
    StoredCart,
)
from commerce.carts.service import CartService, Owner, customer_cart_id
from commerce.inventory.models import Availability, StockStatus


class FakeCarts:
    def __init__(self) -> None:
        self.items: dict[str, StoredCart] = {}
        self.fail_next = 0  # simulate losing that many races

    def get(self, cart_id: str) -> StoredCart | None:
        return self.items.get(cart_id)

    def _check(self, cart: StoredCart, expected: int) -> None:
        stored = self.items.get(cart.cart_id)
        if (stored.version if stored else 0) != expected:
            raise VersionConflict(cart.cart_id)

    def save(self, cart: StoredCart, expected_version: int) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise VersionConflict(cart.cart_id)
        self._check(cart, expected_version)
        self.items[cart.cart_id] = cart

    def save_merge(self, target: StoredCart, target_version: int, source: StoredCart, source_version: int) -> None:
        self._check(target, target_version)
        self._check(source, source_version)
        self.items[target.cart_id] = target
        self.items[source.cart_id] = source


class FakeCatalogue:
    def __init__(self) -> None:
        self.items: dict[str, PricedSku] = {}

    def put(self, sku: str, price: int, active: bool = True, weight: int = 500) -> None:
        self.items[sku] = PricedSku(
            sku=sku,
            product_id=f"p-{sku.lower()}",
            name=f"Product {sku}",
            variant_name="Default",
            unit_price=price,
            currency="EUR",
            weight_grams=weight,
            image=None,
            active=active,
        )

    def lookup(self, skus: Iterable[str]) -> dict[str, PricedSku]:
        return {s: self.items[s] for s in skus if s in self.items}


class FakeStock:
    def __init__(self) -> None:
        self.levels: dict[str, int] = {}

    def availability(self, skus: Iterable[str]) -> dict[str, Availability]:
        result = {}
        for sku in skus:
            n = self.levels.get(sku, 0)
            status = StockStatus.IN_STOCK if n > 5 else StockStatus.LOW_STOCK if n else StockStatus.OUT_OF_STOCK
            result[sku] = Availability(sku=sku, available=n, status=status)
        return result


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000

    def __call__(self) -> int:
        return self.t


@pytest.fixture
def world() -> tuple[CartService, FakeCarts, FakeCatalogue, FakeStock, Clock]:
    carts, catalogue, stock, clock = FakeCarts(), FakeCatalogue(), FakeStock(), Clock()
    for sku, price in (("AAA-1", 1000), ("BBB-2", 2550), ("CCC-3", 99)):
        catalogue.put(sku, price)
        stock.levels[sku] = 100
    return CartService(carts, catalogue, stock, now=clock), carts, catalogue, stock, clock


def test_a_new_anonymous_cart_has_an_unguessable_id_and_expires_in_a_week(world):
    service, *_, clock = world
    a, b = service.create(), service.create()
    assert a.cart_id != b.cart_id and len(a.cart_id) == 32
    assert a.lines == [] and a.subtotal == 0 and a.expires_at == clock.t + ANONYMOUS_TTL_SECONDS


def test_adding_the_same_sku_adds_quantity_and_prices_come_from_the_catalogue(world):
    service, *_ = world
    cart = service.create()
    owner = Owner.anonymous(cart.cart_id)
    service.add(owner, "AAA-1", 2)
    view = service.add(owner, "AAA-1", 3)
    assert [(line.sku, line.quantity, line.unit_price, line.line_total) for line in view.lines] == [
        ("AAA-1", 5, 1000, 5000)
    ]
    assert view.subtotal == 5000 and view.item_count == 5 and view.notices == []


def test_quantity_limits(world):
    service, *_ = world
    owner = Owner.anonymous(service.create().cart_id)
    service.add(owner, "AAA-1", MAX_LINE_QUANTITY)
    with pytest.raises(QuantityLimit):
        service.add(owner, "AAA-1", 1)
    for bad in (0, -1, MAX_LINE_QUANTITY + 1, 10**9, "2", 2.0, True):
        with pytest.raises(ValidationError):
            AddItem.model_validate({"sku": "AAA-1", "quantity": bad})
    with pytest.raises(ValidationError):
        AddItem.model_validate({"sku": "AAA-1", "quantity": 1, "price": 1})
    assert SetQuantity.model_validate({"quantity": 0}).quantity == 0


def test_a_cart_holds_a_limited_number_of_lines(world):
    service, _, catalogue, stock, _ = world
    owner = Owner.anonymous(service.create().cart_id)
    for i in range(MAX_LINES):
        catalogue.put(f"L-{i}", 100)
        stock.levels[f"L-{i}"] = 5
        service.add(owner, f"L-{i}", 1)
    with pytest.raises(TooManyLines):
        service.add(owner, "AAA-1", 1)
    assert len(service.add(owner, "L-0", 1).lines) == MAX_LINES  # an existing line still grows


def test_unknown_retired_and_short_skus_are_refused(world):
    service, _, catalogue, stock, _ = world
    owner = Owner.anonymous(service.create().cart_id)
    with pytest.raises(UnknownSku) as unknown:
        service.add(owner, "NOPE-1", 1)
    assert unknown.value.extensions["sku"] == "NOPE-1"
    catalogue.put("OLD-1", 100, active=False)
    with pytest.raises(ProductUnavailable):
        service.add(owner, "OLD-1", 1)
    stock.levels["AAA-1"] = 2
    with pytest.raises(InsufficientStock) as short:
        service.add(owner, "AAA-1", 3)
    assert short.value.extensions["available"] == 2
    assert service.view(owner).lines == []


def test_set_quantity_and_remove(world):
    service, *_ = world
    owner = Owner.anonymous(service.create().cart_id)
    service.add(owner, "AAA-1", 1)
    service.add(owner, "BBB-2", 1)
    assert service.set_quantity(owner, "AAA-1", 4).lines[0].quantity == 4
    assert [line.sku for line in service.set_quantity(owner, "AAA-1", 0).lines] == ["BBB-2"]
    with pytest.raises(LineNotFound):
        service.set_quantity(owner, "CCC-3", 2)
    assert service.remove(owner, "BBB-2").lines == []
    assert service.remove(owner, "BBB-2").lines == []  # idempotent


def test_every_read_reprices_and_rechecks_stock_with_notices(world):
    service, _, catalogue, stock, _ = world
    owner = Owner.anonymous(service.create().cart_id)
    for sku in ("AAA-1", "BBB-2", "CCC-3"):
        service.add(owner, sku, 3)
    catalogue.put("AAA-1", 1200)  # price up
    stock.levels["BBB-2"] = 1  # fewer than wanted
    catalogue.put("CCC-3", 99, active=False)  # retired
    view = service.view(owner)
    notices = {(n.code, n.sku) for n in view.notices}
    assert notices == {
        (NoticeCode.PRICE_CHANGED, "AAA-1"),
        (NoticeCode.QUANTITY_REDUCED, "BBB-2"),
        (NoticeCode.PRODUCT_UNAVAILABLE, "CCC-3"),
    }
    price = next(n for n in view.notices if n.code is NoticeCode.PRICE_CHANGED)
    assert (price.old_price, price.new_price) == (1000, 1200)
    lines = {line.sku: line for line in view.lines}
    assert lines["AAA-1"].line_total == 3600 and lines["AAA-1"].purchasable
    assert lines["BBB-2"].quantity == 3 and lines["BBB-2"].available == 1 and not lines["BBB-2"].purchasable
    assert lines["CCC-3"].unit_price is None and lines["CCC-3"].line_total == 0
    assert view.subtotal == 3600 + 3 * 2550
    stock.levels["BBB-2"] = 0
    assert NoticeCode.OUT_OF_STOCK in {n.code for n in service.view(owner).notices}
    # Reads do not acknowledge: the price notice stays until the customer changes the line.
    assert NoticeCode.PRICE_CHANGED in {n.code for n in service.view(owner).notices}
    view = service.set_quantity(owner, "AAA-1", 3)
    assert NoticeCode.PRICE_CHANGED not in {n.code for n in view.notices}


def test_expired_carts_are_gone_and_writes_extend_the_expiry(world):
    service, *_, clock = world
    owner = Owner.anonymous(service.create().cart_id)
    clock.t += ANONYMOUS_TTL_SECONDS - 10
    assert service.add(owner, "AAA-1", 1).expires_at == clock.t + ANONYMOUS_TTL_SECONDS
    clock.t += ANONYMOUS_TTL_SECONDS
    with pytest.raises(CartNotFound):
        service.view(owner)
    with pytest.raises(CartNotFound):
        service.add(owner, "AAA-1", 1)


def test_a_customer_cart_is_created_lazily_and_a_new_one_replaces_an_expired_one(world):
    service, carts, *_, clock = world
    me = Owner.customer("sub-1")
    assert service.view(me).lines == [] and carts.items == {}
    assert service.add(me, "AAA-1", 1).expires_at == clock.t + CUSTOMER_TTL_SECONDS
    clock.t += CUSTOMER_TTL_SECONDS + 1
    assert service.view(me).lines == []
    view = service.add(me, "BBB-2", 1)
    assert [line.sku for line in view.lines] == ["BBB-2"]
    assert carts.items[customer_cart_id("sub-1")].version == 2  # continues the old version


def test_a_customer_cart_is_not_reachable_through_the_anonymous_routes(world):
    service, *_ = world
    service.add(Owner.customer("sub-1"), "AAA-1", 1)
    with pytest.raises(CartNotFound):
        service.view(Owner.anonymous(customer_cart_id("sub-1")))
    with pytest.raises(CartNotFound):
        service.add(Owner.anonymous(customer_cart_id("sub-1")), "AAA-1", 1)


def test_a_lost_race_is_retried_and_persistent_contention_is_a_conflict(world):
    service, carts, *_ = world
    owner = Owner.anonymous(service.create().cart_id)
    carts.fail_next = 2
    assert service.add(owner, "AAA-1", 1).lines[0].quantity == 1
    carts.fail_next = 99
    with pytest.raises(CartBusy):
        service.add(owner, "AAA-1", 1)


def test_merge_adds_quantities_caps_them_and_is_idempotent(world):
    service, *_ = world
    anon = service.create().cart_id
    service.add(Owner.anonymous(anon), "AAA-1", 8)
    service.add(Owner.anonymous(anon), "BBB-2", 1)
    me = Owner.customer("sub-1")
    service.add(me, "AAA-1", 5)
    merged = service.merge("sub-1", anon)
    assert {line.sku: line.quantity for line in merged.lines} == {"AAA-1": MAX_LINE_QUANTITY, "BBB-2": 1}
    capped = [n for n in merged.notices if n.code is NoticeCode.QUANTITY_CAPPED]
    assert [(n.sku, n.requested) for n in capped] == [("AAA-1", 13)]
    again = service.merge("sub-1", anon)  # a retry changes nothing
    assert {line.sku: line.quantity for line in again.lines} == {"AAA-1": MAX_LINE_QUANTITY, "BBB-2": 1}
    with pytest.raises(CartNotFound):
        service.view(Owner.anonymous(anon))  # merged: gone as an anonymous cart
    with pytest.raises(CartNotFound):
        service.merge("sub-2", anon)  # someone else's merge is not visible


def test_merging_a_customer_cart_or_a_missing_one_fails_and_changes_nothing(world):
    service, carts, *_ = world
    service.add(Owner.customer("sub-b"), "AAA-1", 2)
    before = dict(carts.items)
    with pytest.raises(CartNotFound):
        service.merge("sub-a", customer_cart_id("sub-b"))
    with pytest.raises(CartNotFound):
        service.merge("sub-a", "x" * 32)
    assert carts.items == before
