"""Checkout use cases: delivery methods for a destination, and the itemised quote. Pure logic."""

from __future__ import annotations

from collections.abc import Callable

from commerce.carts.models import CartView
from commerce.carts.service import CartService, Owner, epoch_now
from commerce.checkout.errors import CartEmpty, CurrencyNotSupported, DeliveryMethodUnavailable, StockChanged
from commerce.checkout.models import (
    QUOTE_TTL_SECONDS,
    DeliveryMethods,
    DeliveryOption,
    Discount,
    FeeBand,
    Quote,
    QuoteChoices,
    QuoteLine,
    Shipping,
    SignedQuote,
    StoredQuote,
    Tax,
)
from commerce.checkout.ports import AddressBook, QuoteSigner, QuoteStore
from commerce.checkout.shipping import methods_for, rates_for, shipping_fee, zone_of
from commerce.checkout.tax import included_vat, vat_rate
from commerce.checkout.tokens import claims_of, owner_of, sign
from commerce.common.clock import new_id
from commerce.customers.models import AddressInput

CURRENCY = "EUR"  # the currency fees are configured in


class CheckoutService:
    def __init__(
        self,
        carts: CartService,
        addresses: AddressBook,
        quotes: QuoteStore,
        now: Callable[[], int] = epoch_now,
        signer: QuoteSigner | None = None,
    ) -> None:
        self._signer = signer
        self._carts = carts
        self._addresses = addresses
        self._quotes = quotes
        self._now = now

    def delivery_methods(self, country: str) -> DeliveryMethods:
        return DeliveryMethods(
            country=country,
            zone=str(zone_of(country)),
            currency=CURRENCY,
            methods=[
                DeliveryOption(
                    method_id=method.method_id,
                    name=method.name,
                    fee_bands=[FeeBand(max_weight_grams=limit, fee=fee) for limit, fee in rates.bands],
                    free_above=rates.free_above,
                    estimated_days=rates.days,
                )
                for method, rates in methods_for(country)
            ],
        )

    def saved_address(self, customer_id: str, address_id: str) -> AddressInput:
        address = self._addresses.get_address(customer_id, address_id)
        return AddressInput.model_validate(address.model_dump(include=set(AddressInput.model_fields)))

    def quote(self, owner: Owner, address: AddressInput, choices: QuoteChoices) -> SignedQuote:
        cart, view = self._carts.priced(owner)
        _check_quotable(view)
        rates = rates_for(choices.delivery_method, address.country)
        if rates is None:
            raise DeliveryMethodUnavailable(
                f"'{choices.delivery_method}' is not available for {address.country}.",
                delivery_method=choices.delivery_method,
                country=address.country,
                available=[m.method_id for m, _ in methods_for(address.country)],
            )
        method = next(m for m, _ in methods_for(address.country) if m.method_id == choices.delivery_method)
        rate = vat_rate(address.country)
        lines = [
            QuoteLine(
                sku=line.sku,
                product_id=line.product_id or "",
                name=line.name or "",
                variant_name=line.variant_name or "",
                quantity=line.quantity,
                unit_price=line.unit_price or 0,
                line_total=line.line_total,
                tax=included_vat(line.line_total, rate),
            )
            for line in view.lines
        ]
        discounts: list[Discount] = []  # promotions will fill this
        discount_total = sum(d.amount for d in discounts)
        goods = view.subtotal - discount_total
        fee = shipping_fee(rates, view.weight_grams, goods)
        shipping = Shipping(
            method_id=method.method_id,
            name=method.name,
            fee=fee,
            tax=included_vat(fee, rate),
            estimated_days=rates.days,
        )
        now = self._now()
        quote = Quote(
            quote_id=new_id("quo"),
            cart_id=view.cart_id,
            currency=view.currency,
            lines=lines,
            subtotal=view.subtotal,
            shipping=shipping,
            discounts=discounts,
            discount_total=discount_total,
            tax=Tax(
                country=address.country,
                rate=str(rate),
                amount=sum(line.tax for line in lines) + shipping.tax,
            ),
            total=goods + fee,
            weight_grams=view.weight_grams,
            shipping_address=address,
            payment_method=choices.payment_method,
            invoice=choices.invoice,
            note=choices.note,
            notices=view.notices,
            expires_at=now + QUOTE_TTL_SECONDS,
        )
        self._quotes.save(
            StoredQuote(
                quote=quote,
                customer_id=owner.customer_id,
                cart_version=cart.version,
                created_at=now,
                expires_at=quote.expires_at,
            )
        )
        token = None
        if self._signer is not None:
            token = sign(claims_of(quote, owner_of(owner.customer_id, view.cart_id)), self._signer.key())
        return SignedQuote(**dict(quote), quote_token=token)


def _check_quotable(view: CartView) -> None:
    if not view.lines:
        raise CartEmpty("The cart is empty.", cart_id=view.cart_id)
    problems = [
        {
            "sku": line.sku,
            "requested": line.quantity,
            "available": line.available,
            "reason": "PRODUCT_UNAVAILABLE" if line.unit_price is None else "INSUFFICIENT_STOCK",
        }
        for line in view.lines
        if not line.purchasable
    ]
    if problems:
        raise StockChanged("Some items are no longer available in the quantity asked; update the cart.", items=problems)
    if view.currency != CURRENCY:
        raise CurrencyNotSupported(f"Checkout is in {CURRENCY} only.", currency=view.currency)
