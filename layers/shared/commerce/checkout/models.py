"""Checkout models. The client chooses (address, delivery, payment method, invoice, note); every
amount is computed on the server. Input models forbid extra fields, so client-sent prices or totals
are refused (422), never used."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commerce.carts.models import Notice
from commerce.customers.models import AddressInput

QUOTE_TTL_SECONDS = 15 * 60
MAX_NOTE = 500

DeliveryMethodId = Literal["standard", "express", "pickup"]
PaymentMethod = Literal["card", "paypal", "bank_transfer"]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- input -------------------------------------------------------------------------------------
class InvoiceRequest(Strict):
    company_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}[A-Z0-9+*.]{2,13}$")] = Field(
        description="VAT identification number with its country prefix, e.g. NL123456789B01"
    )


class QuoteChoices(Strict):
    delivery_method: DeliveryMethodId
    payment_method: PaymentMethod = Field(description="A choice only; nothing is charged here")
    invoice: InvoiceRequest | None = None
    note: Note = ""


class AnonymousQuoteRequest(QuoteChoices):
    shipping_address: AddressInput


class CustomerQuoteRequest(QuoteChoices):
    shipping_address: AddressInput | None = None
    address_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_address(self) -> CustomerQuoteRequest:
        if (self.shipping_address is None) == (self.address_id is None):
            raise ValueError("give exactly one of shipping_address or address_id")
        return self


# ---- output ------------------------------------------------------------------------------------
class FeeBand(Strict):
    max_weight_grams: int | None = Field(description="Inclusive upper limit; null for the last band")
    fee: int


class DeliveryOption(Strict):
    method_id: str
    name: str
    fee_bands: list[FeeBand]
    free_above: int | None = Field(description="Goods subtotal from which this method is free; null: never")
    estimated_days: tuple[int, int]


class DeliveryMethods(Strict):
    country: str
    zone: str
    currency: str
    methods: list[DeliveryOption]


class QuoteLine(Strict):
    sku: str
    product_id: str
    name: str
    variant_name: str
    quantity: int
    unit_price: int
    line_total: int
    tax: int = Field(description="VAT included in line_total")


class Shipping(Strict):
    method_id: str
    name: str
    fee: int
    tax: int = Field(description="VAT included in fee")
    estimated_days: tuple[int, int]


class Discount(Strict):
    code: str
    description: str
    amount: int


class Tax(Strict):
    country: str
    rate: str = Field(description="Percent, e.g. '21'")
    prices_include_tax: bool = True
    amount: int = Field(description="VAT included in the total")


class Quote(Strict):
    quote_id: str
    cart_id: str
    currency: str
    lines: list[QuoteLine]
    subtotal: int
    shipping: Shipping
    discounts: list[Discount]
    discount_total: int
    tax: Tax
    total: int
    weight_grams: int
    shipping_address: AddressInput
    payment_method: PaymentMethod
    invoice: InvoiceRequest | None
    note: str
    notices: list[Notice]
    expires_at: int = Field(description="Epoch seconds; place the order before then or quote again")


class SignedQuote(Quote):
    quote_token: str | None = Field(
        description="The quote signed by the platform: send it to POST /orders (valid until expires_at)"
    )


class StoredQuote(Strict):
    quote: Quote
    customer_id: str | None
    cart_version: int
    created_at: int
    expires_at: int  # the table's TTL attribute
