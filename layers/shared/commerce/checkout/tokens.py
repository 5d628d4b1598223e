"""The signed quote token: what placing an order trusts instead of reading the stored quote.

Format: ``base64url(JSON payload)`` + ``.`` + hex HMAC-SHA256(key, the base64url part). The key is
the ``quotes`` entry of the ``platform-signing-keys`` secret. Verification compares the signature
in constant time, then checks the expiry; the caller checks the owner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from commerce.checkout.errors import InvalidQuoteToken, QuoteExpired
from commerce.checkout.models import InvoiceRequest, PaymentMethod, Quote
from commerce.customers.models import AddressInput

MAX_TOKEN_CHARS = 32_000


class TokenLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: int
    line_total: int
    tax: int


class QuoteClaims(BaseModel):
    """Everything an order needs from its quote."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quote_id: str
    owner: str  # "customer:<sub>" or "cart:<cart id>"
    lines: list[TokenLine]
    subtotal: int
    shipping: int
    discount_total: int
    tax: int
    total: int
    currency: str
    shipping_address: AddressInput
    invoice: InvoiceRequest | None
    note: str
    payment_method: PaymentMethod
    expires_at: int


def owner_of(customer_id: str | None, cart_id: str) -> str:
    return f"customer:{customer_id}" if customer_id else f"cart:{cart_id}"


def claims_of(quote: Quote, owner: str) -> QuoteClaims:
    return QuoteClaims(
        quote_id=quote.quote_id,
        owner=owner,
        lines=[TokenLine.model_validate(line.model_dump(exclude={"variant_name"})) for line in quote.lines],
        subtotal=quote.subtotal,
        shipping=quote.shipping.fee,
        discount_total=quote.discount_total,
        tax=quote.tax.amount,
        total=quote.total,
        currency=quote.currency,
        shipping_address=quote.shipping_address,
        invoice=quote.invoice,
        note=quote.note,
        payment_method=quote.payment_method,
        expires_at=quote.expires_at,
    )


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def sign(claims: QuoteClaims, key: bytes) -> str:
    raw = json.dumps(claims.model_dump(mode="json"), separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{body}.{_mac(key, body)}"


def verify(token: str, key: bytes, now: int) -> QuoteClaims:
    """The claims of a token this platform signed and that has not expired; raises otherwise."""
    body, dot, signature = token.partition(".")
    if not dot or not body or len(token) > MAX_TOKEN_CHARS:
        raise InvalidQuoteToken("The quote token is malformed.")
    if not hmac.compare_digest(_mac(key, body).encode(), signature.encode()):
        raise InvalidQuoteToken("The quote token's signature does not match.")
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims = QuoteClaims.model_validate(data)
    except (ValueError, ValidationError) as error:
        raise InvalidQuoteToken("The quote token's content is not valid.") from error
    if claims.expires_at <= now:
        raise QuoteExpired("The quote has expired; ask for a new quote.", quote_id=claims.quote_id)
    return claims
