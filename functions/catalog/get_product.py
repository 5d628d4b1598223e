"""GET /products/{product_id}: one active product with its variants."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from commerce.catalog.models import Product
from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import logger
from commerce.wiring import catalog_service

app = make_resolver()


@app.get("/products/<product_id>")
def get_product(product_id: Annotated[str, Path(max_length=80)]) -> Product:
    logger.append_keys(product_id=product_id)
    return catalog_service().get_product(product_id)


handler = api_handler(app)
