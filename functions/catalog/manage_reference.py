"""PUT /admin/catalogue/reference and PUT /admin/collections/{slug} (staff, MANAGE_PRODUCTS,
checked before this code runs): upsert reference data; create or replace a collection."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.catalog.reference import Collection, CollectionInput, ReferenceData
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog import catalog_service

app = make_resolver()


@app.put("/admin/catalogue/reference")
def update_reference(change: Annotated[ReferenceData, Body()]) -> ReferenceData:
    result = catalog_service().update_reference(change)
    logger.info(
        "catalogue reference updated",
        extra={"staff_id": staff_id(app), **{kind: len(getattr(change, kind)) for kind in ReferenceData.model_fields}},
    )
    metrics.add_metric(name="CatalogueReferenceUpdates", unit="Count", value=1)
    return result


@app.put("/admin/collections/<slug>")
def put_collection(
    slug: Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")],
    change: Annotated[CollectionInput, Body()],
) -> Collection:
    collection = catalog_service().put_collection(slug, change)
    logger.info("collection saved", extra={"slug": slug, "staff_id": staff_id(app)})
    return collection


handler = api_handler(app)
