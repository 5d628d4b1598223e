"""GET /products and GET /best-sellers: served from the in-memory catalogue snapshot (search table
only): filters, sorting, keyset cursors and facets. Query syntax: docs/search.md."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query as Q

from commerce.catalog.params import listing_query
from commerce.common.api import api_handler, make_resolver
from commerce.search.models import ListingPage, RankedProducts
from commerce.wiring.catalog import storefront

app = make_resolver()

CategoryParam = Annotated[
    str | None,
    Q(max_length=200, pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)*$", description="Category path; includes sub-categories"),
]


@app.get("/products")
def list_products(
    category: CategoryParam = None,
    brand: Annotated[str | None, Q(max_length=500, description="Brand slugs, comma-separated")] = None,
    attr: Annotated[
        str | None, Q(max_length=1000, description="Attribute filters: code:value pairs, comma-separated")
    ] = None,
    price_min: Annotated[int | None, Q(ge=0, le=100_000_000, description="Minor units")] = None,
    price_max: Annotated[int | None, Q(ge=0, le=100_000_000, description="Minor units")] = None,
    in_stock: Annotated[bool | None, Q(description="true: only products that can ship now")] = None,
    sort: Annotated[Literal["newest", "price_asc", "price_desc", "best_selling", "rating"], Q()] = "newest",
    limit: Annotated[int, Q(ge=1, le=100, description="Page size")] = 24,
    cursor: Annotated[str | None, Q(max_length=512, description="next_cursor from the previous page")] = None,
) -> ListingPage:
    query = listing_query(
        category=category,
        brand=brand,
        attr=attr,
        price_min=price_min,
        price_max=price_max,
        in_stock=in_stock,
        sort=sort,
    )
    return storefront().list_products(query, limit, cursor)


@app.get("/best-sellers")
def best_sellers(
    category: CategoryParam = None,
    limit: Annotated[int, Q(ge=1, le=50)] = 10,
) -> RankedProducts:
    return storefront().best_sellers(category, limit)


handler = api_handler(app)
