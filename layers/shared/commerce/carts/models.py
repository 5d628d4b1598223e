"""Cart models: what is stored, what clients send, what they get back.

Money is integer minor units with one ISO currency per cart. Clients send SKUs and quantities only:
every input model forbids extra fields, so a client-sent price is a 422, never a price."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.catalog.models import Sku

MAX_LINE_QUANTITY = 10
MAX_LINES = 50
ANONYMOUS_TTL_SECONDS = 7 * 24 * 3600
CUSTOMER_TTL_SECONDS = 30 * 24 * 3600

# Anonymous cart ids are bearer capabilities: secrets.token_urlsafe(24) -> 32 url-safe characters.
# Accepted loosely (any id shape) so that a customer's cart id is a plain 404, like a missing one.
CartId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:-]{1,100}$")]
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_LINE_QUANTITY)]
QuantityOrZero = Annotated[int, Field(strict=True, ge=0, le=MAX_LINE_QUANTITY)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- stored ------------------------------------------------------------------------------------
class StoredLine(Strict):
    sku: str
    quantity: int
    seen_price: int = Field(description="Unit price when the customer last added or changed the line")
    added_at: int


class StoredCart(Strict):
    cart_id: str
    customer_id: str | None = None
    currency: str | None = None
    lines: list[StoredLine] = Field(default_factory=list)
    version: int = 0  # 0: not stored yet
    status: Literal["open", "merged"] = "open"
    merged_into: str | None = None
    created_at: int
    updated_at: int
    expires_at: int

    def line(self, sku: str) -> StoredLine | None:
        return next((line for line in self.lines if line.sku == sku), None)


# ---- from the catalogue and inventory ------------------------------------------------------------
class PricedSku(Strict):
    """A SKU as the catalogue sells it now."""

    sku: str
    product_id: str
    name: str
    variant_name: str
    unit_price: int
    currency: str
    weight_grams: int
    image: str | None
    active: bool


# ---- input -------------------------------------------------------------------------------------
class AddItem(Strict):
    sku: Sku
    quantity: Quantity = 1


class SetQuantity(Strict):
    quantity: QuantityOrZero = Field(description="0 removes the line")


class MergeRequest(Strict):
    cart_id: CartId = Field(description="The anonymous cart to move into the signed-in customer's cart")


# ---- output ------------------------------------------------------------------------------------
class NoticeCode(StrEnum):
    PRICE_CHANGED = "PRICE_CHANGED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    QUANTITY_REDUCED = "QUANTITY_REDUCED"
    PRODUCT_UNAVAILABLE = "PRODUCT_UNAVAILABLE"
    QUANTITY_CAPPED = "QUANTITY_CAPPED"
    LINE_NOT_MERGED = "LINE_NOT_MERGED"


class Notice(Strict):
    code: NoticeCode
    sku: str
    message: str
    old_price: int | None = None
    new_price: int | None = None
    requested: int | None = None
    available: int | None = None


class LineView(Strict):
    sku: str
    product_id: str | None
    name: str | None
    variant_name: str | None
    image: str | None
    quantity: int
    unit_price: int | None = Field(description="Current catalogue price; null when the product is unavailable")
    line_total: int
    weight_grams: int
    available: int
    stock_status: str
    purchasable: bool = Field(description="False when out of stock, short of stock or unavailable")


class CartView(Strict):
    cart_id: str
    currency: str
    lines: list[LineView]
    item_count: int
    subtotal: int = Field(description="Sum of purchasable line totals, minor units, tax included")
    weight_grams: int
    notices: list[Notice]
    expires_at: int = Field(description="Epoch seconds; extended on every change")
