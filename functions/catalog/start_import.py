"""POST /admin/catalogue/imports and GET /admin/catalogue/imports/{import_id}.

Staff only; the permission (MANAGE_PRODUCTS) is declared on the routes in the topology and checked
before this code runs.

Starts the catalogue-import workflow; an Idempotency-Key header makes a retried POST return the
same import instead of starting a second one."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from pydantic import BaseModel, Field

from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog import catalog_service

app = make_resolver()


class ImportRequest(BaseModel):
    products: list[dict[str, Any]] = Field(
        min_length=1, max_length=500, description="Products; each is validated by the workflow"
    )


class ImportAccepted(BaseModel):
    import_id: str
    status_url: str


@app.post("/admin/catalogue/imports", status_code=202)
def start_import(
    request: Annotated[ImportRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=8, max_length=128)] = None,
) -> Response[ImportAccepted]:
    import_id = catalog_service().start_import(request.products, idempotency_key)
    logger.info("catalogue import started", extra={"import_id": import_id, "staff_id": staff_id(app)})
    metrics.add_metric(name="CatalogueImportsStarted", unit="Count", value=1)
    body = ImportAccepted(import_id=import_id, status_url=f"/admin/catalogue/imports/{import_id}")
    return Response(status_code=202, body=body, content_type="application/json")


@app.get("/admin/catalogue/imports/<import_id>")
def get_import(import_id: Annotated[str, Path(pattern=r"^imp_[A-Za-z0-9]{20,40}$")]) -> dict[str, Any]:
    return catalog_service().describe_import(import_id)


handler = api_handler(app)
