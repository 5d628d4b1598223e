"""GET /admin/audit (permission MANAGE_STAFF): the audit log, newest first, by entity
(``entity_type`` + ``entity_id``), by actor (``staff:<sub>``) or by day (``day``, today by default);
``day`` also narrows an entity's or an actor's history. Keyset pages (``limit``, ``cursor``)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from commerce.common.api import api_handler, make_resolver
from commerce.staff.models import AuditPage
from commerce.wiring.staff import audit_browser

app = make_resolver()


@app.get("/admin/audit")
def browse(
    entity_type: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{0,39}$")] = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    actor: Annotated[str | None, Query(pattern=r"^staff:\S{1,128}$")] = None,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> AuditPage:
    return audit_browser().browse(
        entity_type=entity_type, entity_id=entity_id, actor=actor, day=day, limit=limit, cursor=cursor
    )


handler = api_handler(app)
