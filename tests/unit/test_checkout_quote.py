"""Checkout rules over fakes: zones and fees, free-shipping threshold, VAT by destination with
half-up rounding, quote refusals, and the stored quote."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from commerce.carts.service import CartService, Owner
from commerce.checkout.errors import CartEmpty, DeliveryMethodUnavailable, StockChanged
from commerce.checkout.models import (
    QUOTE_TTL_SECONDS,
    AnonymousQuoteRequest,
    CustomerQuoteRequest,
    QuoteChoices,
    StoredQuote,
)
from commerce.checkout.service import CheckoutService
from commerce.checkout.shipping import Zone, rates_for, shipping_fee, zone_of
from commerce.checkout.tax import included_vat, vat_rate
from commerce.common.errors import NotFound
from commerce.customers.models import Address, AddressInput
from tests.unit.test_cart_service import Clock, FakeCarts, FakeCatalogue, FakeStock

NL = AddressInput(name="Ada", line1="Dam 1", city="Amsterdam", postal_code="1012JS", country="NL")
DE = NL.model_copy(update={"country": "DE", "city": "Berlin", "postal_code": "10115"})
US = NL.model_copy(update={"country": "US", "city": "Boston", "postal_code": "02108"})


class FakeQuotes:
    def __init__(self) -> None:
        self.saved: dict[str, StoredQuote] = {}

    def save(self, quote: StoredQuote) -> None:
        self.saved[quote.quote.quote_id] = quote

    def get(self, quote_id: str) -> StoredQuote | None:
        return self.saved.get(quote_id)


class AddressNotFound(NotFound):
    code = "ADDRESS_NOT_FOUND"


class FakeAddressBook:
    def get_address(self, customer_id: str, address_id: str) -> Address:
        if (customer_id, address_id) != ("sub-1", "adr-1"):
            raise AddressNotFound("no such address")
        return Address(**DE.model_dump(), address_id="adr-1", is_default=True)


@pytest.fixture
def shop():
    carts, catalogue, stock, clock = FakeCarts(), FakeCatalogue(), FakeStock(), Clock()
    catalogue.put("CHEAP-1", 1999, weight=300)
    catalogue.put("HEAVY-1", 4999, weight=12_000)
    for sku in ("CHEAP-1", "HEAVY-1"):
        stock.levels[sku] = 50
    cart_service = CartService(carts, catalogue, stock, now=clock)
    quotes = FakeQuotes()
    checkout = CheckoutService(cart_service, FakeAddressBook(), quotes, now=clock)
    return cart_service, checkout, quotes, stock, clock


def choices(method: str = "standard", **extra) -> QuoteChoices:
    return QuoteChoices(delivery_method=method, payment_method="card", **extra)


def test_zones():
    assert (zone_of("NL"), zone_of("DE"), zone_of("US")) == (Zone.DOMESTIC, Zone.EU, Zone.WORLD)


def test_fees_by_weight_band_and_zone_with_free_standard_above_the_threshold():
    standard_nl = rates_for("standard", "NL")
    assert standard_nl is not None
    assert shipping_fee(standard_nl, 2_000, 1000) == 495  # band limits are inclusive
    assert shipping_fee(standard_nl, 2_001, 1000) == 695
    assert shipping_fee(standard_nl, 50_000, 1000) == 2495
    assert shipping_fee(standard_nl, 2_001, 5000) == 0  # free from the threshold
    express_nl = rates_for("express", "NL")
    assert express_nl is not None and shipping_fee(express_nl, 100, 10**7) == 995  # express is never free
    standard_us = rates_for("standard", "US")
    assert standard_us is not None and shipping_fee(standard_us, 100, 10**7) == 1995
    assert rates_for("pickup", "NL") is not None and rates_for("pickup", "DE") is None


def test_vat_is_included_and_rounded_half_up_per_amount():
    assert vat_rate("NL") == Decimal(21) and vat_rate("US") == 0
    assert included_vat(12100, Decimal(21)) == 2100
    assert included_vat(1999, Decimal(21)) == 347  # 346.93 -> 347
    assert included_vat(605, Decimal(21)) == 105  # exactly 105.00
    assert included_vat(1, Decimal(21)) == 0  # 0.17 -> 0
    assert included_vat(3, Decimal(21)) == 1  # 0.52 -> 1
    assert included_vat(119, Decimal(19)) == 19
    assert included_vat(11, Decimal(10)) == 1  # exactly 1.00
    assert included_vat(21, Decimal(5)) == 1  # 1.00
    assert included_vat(105, Decimal(5)) == 5
    assert included_vat(2050, Decimal(25)) == 410
    assert included_vat(1, Decimal("25.5")) == 0
    assert included_vat(5, Decimal(25)) == 1  # 1.0
    assert included_vat(25, Decimal(25)) == 5


def test_a_domestic_quote_is_itemised_and_stored(shop):
    carts, checkout, quotes, _, clock = shop
    owner = Owner.anonymous(carts.create().cart_id)
    carts.add(owner, "CHEAP-1", 2)
    quote = checkout.quote(owner, NL, choices(note="Ring twice"))
    assert quote.subtotal == 3998 and quote.currency == "EUR"
    assert quote.shipping.fee == 495 and quote.shipping.tax == 86  # 85.91
    assert quote.lines[0].tax == 694  # 3998 * 21 / 121 = 693.88
    assert quote.tax.amount == 694 + 86 and quote.tax.rate == "21" and quote.tax.prices_include_tax
    assert quote.discounts == [] and quote.discount_total == 0
    assert quote.total == 3998 + 495
    assert quote.expires_at == clock.t + QUOTE_TTL_SECONDS and quote.quote_id.startswith("quo_")
    stored = quotes.get(quote.quote_id)
    assert stored is not None and stored.expires_at == quote.expires_at
    assert stored.quote.model_dump() == quote.model_dump(exclude={"quote_token"})  # the token is not stored


def test_free_shipping_and_destination_tax(shop):
    carts, checkout, *_ = shop
    owner = Owner.anonymous(carts.create().cart_id)
    carts.add(owner, "CHEAP-1", 3)  # 5997 >= NL threshold 5000, < EU threshold 10000
    assert checkout.quote(owner, NL, choices()).shipping.fee == 0
    de = checkout.quote(owner, DE, choices())
    assert de.shipping.fee == 995 and de.tax.rate == "19"
    assert de.tax.amount == included_vat(5997, Decimal(19)) + included_vat(995, Decimal(19))
    us = checkout.quote(owner, US, choices("express"))
    assert us.tax.amount == 0 and us.shipping.fee == 3995 and us.total == 5997 + 3995


def test_heavier_parcels_pay_a_higher_band(shop):
    carts, checkout, *_ = shop
    owner = Owner.anonymous(carts.create().cart_id)
    carts.add(owner, "HEAVY-1", 3)  # 36 kg
    assert checkout.quote(owner, US, choices()).shipping.fee == 7995


def test_refusals(shop):
    carts, checkout, quotes, stock, _ = shop
    owner = Owner.anonymous(carts.create().cart_id)
    with pytest.raises(CartEmpty):
        checkout.quote(owner, NL, choices())
    carts.add(owner, "CHEAP-1", 4)
    with pytest.raises(DeliveryMethodUnavailable) as unavailable:
        checkout.quote(owner, DE, choices("pickup"))
    assert unavailable.value.extensions["available"] == ["standard", "express"]
    stock.levels["CHEAP-1"] = 1
    with pytest.raises(StockChanged) as changed:
        checkout.quote(owner, NL, choices())
    assert changed.value.extensions["items"] == [
        {"sku": "CHEAP-1", "requested": 4, "available": 1, "reason": "INSUFFICIENT_STOCK"}
    ]
    assert quotes.saved == {}


def test_saved_addresses_come_from_the_address_book(shop):
    _, checkout, *_ = shop
    assert checkout.saved_address("sub-1", "adr-1") == DE
    with pytest.raises(AddressNotFound):
        checkout.saved_address("sub-2", "adr-1")


def test_requests_refuse_client_prices_and_ambiguous_addresses():
    body = {"shipping_address": NL.model_dump(), "delivery_method": "standard", "payment_method": "card"}
    AnonymousQuoteRequest.model_validate(body)
    for extra in ({"total": 1}, {"subtotal": 0}, {"shipping_fee": 0}):
        with pytest.raises(ValidationError):
            AnonymousQuoteRequest.model_validate({**body, **extra})
    for bad in ({"payment_method": "cash"}, {"delivery_method": "drone"}, {"note": "x" * 501}):
        with pytest.raises(ValidationError):
            AnonymousQuoteRequest.model_validate({**body, **bad})
    with pytest.raises(ValidationError):
        CustomerQuoteRequest.model_validate({**body, "address_id": "adr-1"})
    with pytest.raises(ValidationError):
        CustomerQuoteRequest.model_validate({"delivery_method": "standard", "payment_method": "card"})
    with pytest.raises(ValidationError):
        AnonymousQuoteRequest.model_validate({**body, "invoice": {"company_name": "ACME", "tax_id": "nope"}})
    ok = AnonymousQuoteRequest.model_validate({**body, "invoice": {"company_name": "ACME", "tax_id": "NL123456789B01"}})
    assert ok.invoice is not None and ok.invoice.tax_id == "NL123456789B01"
