"""GET /search (relevance-ranked, filterable, with no-result help; every term logged) and
GET /search/suggestions (search-as-you-type, one typo tolerated)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query as Q

from commerce.catalog.params import listing_query
from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import metrics
from commerce.search.models import SearchPage, Suggestions
from commerce.wiring.catalog import search_service

app = make_resolver()


@app.get("/search")
def search(
    q: Annotated[str, Q(min_length=1, max_length=200, description="What the shopper typed")],
    category: Annotated[str | None, Q(max_length=200, pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)*$")] = None,
    brand: Annotated[str | None, Q(max_length=500, description="Brand slugs, comma-separated")] = None,
    attr: Annotated[
        str | None, Q(max_length=1000, description="Attribute filters: code:value pairs, comma-separated")
    ] = None,
    price_min: Annotated[int | None, Q(ge=0, le=100_000_000)] = None,
    price_max: Annotated[int | None, Q(ge=0, le=100_000_000)] = None,
    in_stock: Annotated[bool | None, Q()] = None,
    sort: Annotated[
        Literal["relevance", "newest", "price_asc", "price_desc", "best_selling", "rating"], Q()
    ] = "relevance",
    limit: Annotated[int, Q(ge=1, le=100)] = 24,
    cursor: Annotated[str | None, Q(max_length=512)] = None,
) -> SearchPage:
    query = listing_query(
        text=q,
        category=category,
        brand=brand,
        attr=attr,
        price_min=price_min,
        price_max=price_max,
        in_stock=in_stock,
        sort=sort,
    )
    page = search_service().search(query, limit, cursor)
    metrics.add_metric(name="Searches", unit="Count", value=1)
    if page.total == 0:
        metrics.add_metric(name="SearchesWithoutResults", unit="Count", value=1)
    return page


@app.get("/search/suggestions")
def suggestions(
    q: Annotated[str, Q(min_length=1, max_length=100, description="What the shopper typed so far")],
    limit: Annotated[int, Q(ge=1, le=20)] = 8,
) -> Suggestions:
    return search_service().suggestions(q, limit)


handler = api_handler(app)
