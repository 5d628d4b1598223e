"""GET /products/{product_id} (live from the catalogue, with stock status per SKU from inventory)
and GET /products/{product_id}/similar (from the catalogue snapshot)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.catalog.storefront import ProductDetail
from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import logger
from commerce.search.models import RankedProducts
from commerce.wiring.catalog import storefront

app = make_resolver()
ProductIdParam = Annotated[str, Path(max_length=80)]


@app.get("/products/<product_id>")
def get_product(product_id: ProductIdParam) -> ProductDetail:
    logger.append_keys(product_id=product_id)
    return storefront().product_detail(product_id)


@app.get("/products/<product_id>/similar")
def similar_products(product_id: ProductIdParam, limit: Annotated[int, Query(ge=1, le=24)] = 8) -> RankedProducts:
    logger.append_keys(product_id=product_id)
    return storefront().similar(product_id, limit)


handler = api_handler(app)
