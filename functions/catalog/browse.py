"""GET /categories, /brands, /attributes and /collections/{slug}: reference data from the
catalogue, with product counts from the catalogue snapshot."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.catalog.storefront import Attributes, Brands, CategoryTree, CollectionView
from commerce.common.api import api_handler, make_resolver
from commerce.wiring.catalog import storefront

app = make_resolver()


@app.get("/categories")
def categories(
    root: Annotated[
        str | None, Query(max_length=200, pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)*$", description="Only this subtree")
    ] = None,
) -> CategoryTree:
    return storefront().categories(root)


@app.get("/brands")
def brands() -> Brands:
    return storefront().brands()


@app.get("/attributes")
def attributes() -> Attributes:
    return storefront().attributes()


@app.get("/collections/<slug>")
def collection(slug: Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]) -> CollectionView:
    return storefront().collection(slug)


handler = api_handler(app)
