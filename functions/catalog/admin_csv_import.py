"""POST /admin/catalogue/imports/csv (MANAGE_PRODUCTS, checked before this code runs): batch
product generation from a CSV file, one row per SKU (columns: commerce.catalog.csv_import and
docs/back-office.md).

The body is the file (``Content-Type: text/csv``) or JSON ``{"csv": "<the file>"}``; at most 256 KB
(the API's body limit) and 5,000 rows. Every row is checked at once and the answer is the report
(row, column, reason for each bad row); the good rows go to the catalogue-import workflow
(202; 200 when nothing needs importing, e.g. the same file again). Progress:
GET /admin/catalogue/imports/{import_id}. An Idempotency-Key makes a retried upload the same import."""

import base64
import binascii
import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from commerce.audit import log as audit_log
from commerce.catalog.imports import CsvImportReport
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.errors import DomainError, InvalidInput, Unprocessable
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog_admin import csv_imports

app = make_resolver()
DESCRIPTION = (
    'The body is the CSV file (Content-Type: text/csv) or JSON {"csv": "..."}. One row per SKU; columns '
    "(header names case-insensitive; * required, + required for new products): product_id*, name+, brand+, "
    "category+, description, currency, status, images (| separated), product_attributes (key=value;...), sku*, "
    "variant_name*, price* (minor units 19900, or 199.00 EUR), weight_grams*, barcode, attributes "
    "(key=value;...). Every row is checked; the report lists each bad row (row number, the header being row 1, "
    "column, reason) and the good rows are imported through the catalogue-import workflow. Re-sending the same "
    "file changes nothing and says so. At most 5,000 rows and 256 KB."
)


REQUEST_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string", "description": "The file, UTF-8"}},
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["csv"],
                "properties": {"csv": {"type": "string", "description": "The file as text"}},
                "additionalProperties": False,
            }
        },
    },
}


class UnsupportedMediaType(DomainError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


class InvalidBody(Unprocessable):
    code = "INVALID_BODY"


class MalformedJson(DomainError):
    status, code, title = 400, "MALFORMED_JSON", "Malformed JSON"


def csv_text() -> str:
    event = app.current_event
    raw = event.body or ""
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise InvalidInput("The file is not UTF-8 text.") from error
    content_type = (event.headers.get("content-type") or event.headers.get("Content-Type") or "").lower()
    if content_type.startswith("text/csv") or content_type.startswith("text/plain"):
        return raw
    if content_type.startswith("application/json") or not content_type:
        try:
            body = json.loads(raw or "null")
        except ValueError as error:
            raise MalformedJson("The body is not valid JSON.") from error
        if not isinstance(body, dict) or not isinstance(body.get("csv"), str) or set(body) != {"csv"}:
            raise InvalidBody('A JSON body is {"csv": "<the file as text>"}.')
        return str(body["csv"])
    raise UnsupportedMediaType(f'Send the file as text/csv or as JSON {{"csv": ...}}, not {content_type}.')


@app.post(
    "/admin/catalogue/imports/csv",
    summary="Import products from a CSV file (checked row by row)",
    description=DESCRIPTION,
    openapi_extensions={"requestBody": REQUEST_BODY},
    responses={
        202: {"description": "Checked; the good rows are being imported"},
        200: {"description": "Checked; nothing to import (or this key's import, done)"},
    },
)
def import_csv(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=8, max_length=128)] = None,
) -> Response[CsvImportReport]:
    report = csv_imports().start(csv_text(), idempotency_key, actor=staff_id(app))
    audit_log.changed(
        "imports",
        report.import_id,
        after={"kind": "csv", "message": report.message, "rows": report.rows.model_dump(), "replayed": report.replayed},
    )
    logger.info(
        "csv import", extra={"import_id": report.import_id, "staff_id": staff_id(app), **report.rows.model_dump()}
    )
    metrics.add_metric(name="CsvImportRowsQueued", unit="Count", value=report.rows.queued)
    metrics.add_metric(name="CsvImportRowsInvalid", unit="Count", value=report.rows.invalid)
    status = 202 if report.status == "RUNNING" else 200
    return Response(status_code=status, body=report, content_type="application/json")


handler = api_handler(app)
