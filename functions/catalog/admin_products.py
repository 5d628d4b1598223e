"""Back office (MANAGE_PRODUCTS, checked before this code runs): products and SKUs.

    GET  /admin/catalogue/products                      list (prefix, status, cursor), by product id
    POST /admin/catalogue/products                      create (brand, category, attributes checked)
    GET  /admin/catalogue/products/{product_id}         one, retired SKUs too, version as ETag
    PUT  /admin/catalogue/products/{product_id}         replace (If-Match or version); SKUs it drops retire
    POST /admin/catalogue/products/{product_id}/retire  take it off sale
    GET  /admin/catalogue/skus                          list (prefix, cursor), by SKU
    POST /admin/catalogue/skus                          add a SKU to a product
    GET  /admin/catalogue/skus/{sku}                    one
    PUT  /admin/catalogue/skus/{sku}                    edit it (the product's version)
    POST /admin/catalogue/skus/{sku}/retire             take it off its product (not while units are reserved)

Every change stores the whole product and announces it (ProductUpserted/ProductRetired)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from commerce.audit import log as audit_log
from commerce.catalog.admin_models import (
    MAX_PAGE,
    ProductAdminView,
    ProductEdit,
    ProductPage,
    SkuCreate,
    SkuEdit,
    SkuPage,
    SkuView,
)
from commerce.catalog.models import Product, ProductInput, Variant
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog_admin import catalogue_admin
from functions.catalog.admin_http import IfMatch, RetireRequest, tagged, version_of

app = make_resolver()
ProductIdParam = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
SkuParam = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{1,47}$")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=1024, description="next_cursor from the previous page")]


def changed(entity: str, key: str, before: Product | SkuView | None, after: Product | SkuView, action: str) -> None:
    audit_log.changed(
        entity,
        key,
        before=before.model_dump(mode="json") if before else None,
        after=after.model_dump(mode="json"),
    )
    logger.info(f"{entity} {action}", extra={"key": key, "staff_id": staff_id(app)})
    metrics.add_metric(name="CatalogueProductChanges", unit="Count", value=1)


# ---- products -------------------------------------------------------------------------------------
@app.get("/admin/catalogue/products", summary="Products in product id order, retired ones too")
def list_products(
    prefix: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,80}$", description="Product ids starting so")] = None,
    status: Annotated[Literal["active", "retired"] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ProductPage:
    return catalogue_admin().products(prefix, status, limit, cursor)


@app.post("/admin/catalogue/products", summary="Create a product (409 PRODUCT_EXISTS, SKU_TAKEN)", status_code=201)
def create_product(product: Annotated[ProductInput, Body()]) -> Response[Product]:
    stored = catalogue_admin().create_product(product)
    changed("products", stored.product_id, None, stored, "created")
    location = f"/admin/catalogue/products/{stored.product_id}"
    return tagged(stored, stored.version, 201, Location=location)


@app.get("/admin/catalogue/products/<product_id>", summary="One product, any status, with its retired SKUs")
def get_product(product_id: ProductIdParam) -> Response[ProductAdminView]:
    product = catalogue_admin().product(product_id)
    return tagged(product, product.version)


@app.put("/admin/catalogue/products/<product_id>", summary="Replace a product; SKUs it leaves out are retired")
def update_product(
    product_id: ProductIdParam, edit: Annotated[ProductEdit, Body()], if_match: IfMatch = None
) -> Response[Product]:
    before, after = catalogue_admin().update_product(product_id, edit, version_of(if_match))
    changed("products", product_id, before, after, "edited")
    return tagged(after, after.version)


@app.post("/admin/catalogue/products/<product_id>/retire", summary="Take a product off sale")
def retire_product(
    product_id: ProductIdParam,
    request: Annotated[RetireRequest | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response[Product]:
    before, after = catalogue_admin().retire_product(product_id, version_of(if_match, request))
    changed("products", product_id, before, after, "retired")
    return tagged(after, after.version)


# ---- SKUs -----------------------------------------------------------------------------------------
@app.get("/admin/catalogue/skus", summary="SKUs in SKU order, retired ones too")
def list_skus(
    prefix: Annotated[str | None, Query(pattern=r"^[A-Z0-9-]{1,48}$", description="SKUs starting so")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SkuPage:
    return catalogue_admin().skus(prefix, limit, cursor)


@app.post(
    "/admin/catalogue/skus",
    summary="Add a SKU to a product (the product's version: If-Match or version)",
    status_code=201,
)
def create_sku(request: Annotated[SkuCreate, Body()], if_match: IfMatch = None) -> Response[SkuView]:
    variant = Variant.model_validate(request.model_dump(exclude={"product_id", "version"}))
    version = version_of(if_match, RetireRequest(version=request.version))
    _, sku = catalogue_admin().create_sku(request.product_id, variant, version)
    changed("skus", sku.sku, None, sku, "created")
    return tagged(sku, sku.version, 201, Location=f"/admin/catalogue/skus/{sku.sku}")


@app.get("/admin/catalogue/skus/<sku>", summary="One SKU (retired ones too)")
def get_sku(sku: SkuParam) -> Response[SkuView]:
    found = catalogue_admin().sku(sku)
    return tagged(found, found.version)


@app.put("/admin/catalogue/skus/<sku>", summary="Edit a SKU (the product's version: If-Match or version)")
def update_sku(sku: SkuParam, edit: Annotated[SkuEdit, Body()], if_match: IfMatch = None) -> Response[SkuView]:
    before, after = catalogue_admin().update_sku(sku, edit, version_of(if_match))
    changed("skus", sku, before, after, "edited")
    return tagged(after, after.version)


@app.post("/admin/catalogue/skus/<sku>/retire", summary="Take a SKU off its product (kept, never reused)")
def retire_sku(
    sku: SkuParam,
    request: Annotated[RetireRequest | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response[SkuView]:
    before, after = catalogue_admin().retire_sku(sku, version_of(if_match, request))
    changed("skus", sku, before, after, "retired")
    return tagged(after, after.version)


handler = api_handler(app)
