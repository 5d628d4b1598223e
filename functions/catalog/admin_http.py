"""HTTP pieces the catalogue back-office handlers share (not a Lambda handler): the ``If-Match``
header, the optional ``{"version": n}`` body of a retire, and responses carrying an ``ETag``."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, Field

from commerce.catalog.errors import KeyMismatch

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^(W/)?"?[0-9]{1,9}"?$',
        description='The version you read ("3"); a changed one is refused with 412. Or send `version` in the body.',
    ),
]


class RetireRequest(BaseModel):
    version: int | None = Field(default=None, ge=1, description="The version you read (or If-Match)")


def version_of(if_match: str | None, request: RetireRequest | None = None) -> int | None:
    """The version an edit names: If-Match (``"3"``, ``W/"3"``, ``3``) or the body's ``version``."""
    header = int(if_match.removeprefix("W/").strip('"')) if if_match else None
    body = request.version if request else None
    if header is not None and body is not None and header != body:
        raise KeyMismatch("If-Match and the body's version differ; send one.", field="version")
    return header if header is not None else body


def tagged(body: BaseModel, version: int | None, status: int = 200, **headers: str) -> Response[Any]:
    """A JSON response with the entity's version as its ETag."""
    tags = {"ETag": f'"{version}"'} if version is not None else {}
    return Response(status_code=status, body=body, content_type="application/json", headers=tags | headers)
