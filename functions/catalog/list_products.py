"""GET /products: active products, newest first, cursor paginated."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from commerce.catalog.models import ProductPage
from commerce.common.api import api_handler, make_resolver
from commerce.wiring import catalog_service

app = make_resolver()


@app.get("/products")
def list_products(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 24,
    cursor: Annotated[str | None, Query(max_length=512, description="next_cursor from the previous page")] = None,
) -> ProductPage:
    return catalog_service().list_products(limit, cursor)


handler = api_handler(app)
