"""Cart errors, each with a stable code."""

from __future__ import annotations

from commerce.common.errors import Conflict, NotFound, Unprocessable


class CartNotFound(NotFound):
    code = "CART_NOT_FOUND"


class LineNotFound(NotFound):
    code = "LINE_NOT_FOUND"


class UnknownSku(NotFound):
    code = "UNKNOWN_SKU"


class ProductUnavailable(Conflict):
    code = "PRODUCT_UNAVAILABLE"


class InsufficientStock(Conflict):
    code = "INSUFFICIENT_STOCK"


class QuantityLimit(Unprocessable):
    code = "QUANTITY_LIMIT"


class TooManyLines(Unprocessable):
    code = "TOO_MANY_LINES"


class CurrencyMismatch(Unprocessable):
    code = "CURRENCY_MISMATCH"


class CartBusy(Conflict):
    """Optimistic concurrency gave up after retries (the cart kept changing under us)."""

    code = "CART_BUSY"


class VersionConflict(Exception):
    """Raised by the repository when a conditional write lost a race; the service retries."""
