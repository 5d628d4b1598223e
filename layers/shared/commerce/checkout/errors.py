"""Checkout errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, DomainError, Unprocessable


class CartEmpty(Conflict):
    code = "CART_EMPTY"


class StockChanged(Conflict):
    code = "STOCK_CHANGED"


class DeliveryMethodUnavailable(Unprocessable):
    code = "DELIVERY_METHOD_UNAVAILABLE"


class CurrencyNotSupported(Unprocessable):
    code = "CURRENCY_NOT_SUPPORTED"


class InvalidQuoteToken(Unprocessable):
    code = "INVALID_QUOTE_TOKEN"


class QuoteExpired(DomainError):
    status, code, title = 410, "QUOTE_EXPIRED", "The quote has expired"
