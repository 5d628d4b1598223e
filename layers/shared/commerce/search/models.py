"""Search models: the snapshot pointer, the search log entry and the API's output shapes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SnapshotPointer(Frozen):
    generation: str = Field(description="Sortable: newer generations compare greater")
    built_at: str
    products: int
    bytes: int = Field(description="Compressed size")
    parts: int
    source_changes: int = Field(description="The documents' change counter the build started from")


class SearchLogEntry(Frozen):
    term: str
    normalised: str
    results: int
    at: str
    search_id: str


StockStatusName = Literal["in_stock", "low_stock", "out_of_stock", "backorder"]


class ProductCard(Frozen):
    """A product in a listing, search result, collection or recommendation."""

    product_id: str
    name: str
    brand: str
    brand_slug: str
    category: str
    currency: str
    price_from: int = Field(description="Lowest variant price, minor units")
    price_to: int = Field(description="Highest variant price, minor units")
    image: str | None
    stock_status: StockStatusName | None = Field(description="Best status over the variants, as of the snapshot")
    backorder_eta: date | None = None
    rating: float | None = Field(default=None, description="Placeholder until reviews exist: always null")


def card(doc: dict[str, Any]) -> ProductCard:
    return ProductCard.model_validate({k: doc.get(k) for k in ProductCard.model_fields})


class ListingPage(Frozen):
    items: list[ProductCard]
    next_cursor: str | None = Field(description="Pass as ?cursor= with the same filters for the next page")
    total: int
    facets: dict[str, Any]
    snapshot: str = Field(description="The catalogue snapshot generation the page was served from")


class RankedProducts(Frozen):
    items: list[ProductCard]
    snapshot: str


class SearchPage(Frozen):
    query: str
    items: list[ProductCard]
    next_cursor: str | None
    total: int
    facets: dict[str, Any]
    did_you_mean: list[str] = Field(description="Close queries that find something (only when nothing matched)")
    popular: list[ProductCard] = Field(description="Best sellers to show instead (only when nothing matched)")
    snapshot: str


class SuggestionOut(Frozen):
    text: str
    kind: Literal["term", "product"]
    product_id: str | None = None


class Suggestions(Frozen):
    query: str
    suggestions: list[SuggestionOut]
