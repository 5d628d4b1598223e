"""Checkout errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, Unprocessable


class CartEmpty(Conflict):
    code = "CART_EMPTY"


class StockChanged(Conflict):
    code = "STOCK_CHANGED"


class DeliveryMethodUnavailable(Unprocessable):
    code = "DELIVERY_METHOD_UNAVAILABLE"


class CurrencyNotSupported(Unprocessable):
    code = "CURRENCY_NOT_SUPPORTED"
