"""Back office (MANAGE_PRODUCTS, checked before this code runs): categories, brands, manufacturers,
suppliers and attributes one by one. For each kind, under /admin/catalogue/<kind>:

    GET    /                list (``?status=active|retired``)
    POST   /                create (201; 409 ALREADY_EXISTS: keys are never reused)
    GET    /{key}           one, with its version as ETag
    PUT    /{key}           edit (If-Match or ``version``: 412 VERSION_MISMATCH when stale)
    POST   /{key}/retire    retire (409 STILL_REFERENCED while active things use it)

A category's key is its path with dots for slashes (``electronics.audio``). The bulk
``PUT /admin/catalogue/reference`` (manage_reference) stays."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from commerce.audit import log as audit_log
from commerce.catalog.admin_models import KINDS, EntityKind, StoredEntry
from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.wiring.catalog_admin import catalogue_admin
from functions.catalog.admin_http import IfMatch, RetireRequest, tagged, version_of

app = make_resolver()

KEY_PATTERNS = {
    "categories": r"^[a-z0-9-]+(\.[a-z0-9-]+){0,5}$",
    "brands": r"^[a-z0-9][a-z0-9-]{0,63}$",
    "manufacturers": r"^[a-z0-9][a-z0-9-]{0,63}$",
    "suppliers": r"^[a-z0-9][a-z0-9-]{0,63}$",
    "attributes": r"^[a-z][a-z0-9_]{0,39}$",
}


def register(kind: EntityKind) -> None:
    """The five routes of one kind (closures over ``kind``; their models are the kind's own)."""
    base = f"/admin/catalogue/{kind.name}"
    key_doc = "The path, dots for slashes (electronics.audio)" if kind.name == "categories" else f"The {kind.key}"
    Key = Annotated[str, Path(pattern=KEY_PATTERNS[kind.name], description=key_doc)]
    View, Edit, Definition = kind.view, kind.edit, kind.definition

    def view(entry: StoredEntry) -> View:  # type: ignore[valid-type]
        return View.model_validate(entry.view())

    def changed(entry: StoredEntry, before: StoredEntry | None, action: str) -> None:
        audit_log.changed(kind.name, entry.key, before=before.view() if before else None, after=entry.view())
        logger.info(f"{kind.label} {action}", extra={"key": entry.key, "staff_id": staff_id(app)})
        metrics.add_metric(name="CatalogueReferenceChanges", unit="Count", value=1)

    @app.get(base, summary=f"List the {kind.name}, retired ones too")
    def list_entries(
        status: Annotated[Literal["active", "retired"] | None, Query(description="Only these")] = None,
    ) -> list[View]:  # type: ignore[valid-type]
        entries = catalogue_admin().entries(kind)
        return [view(e) for e in entries if status is None or e.state.status == status]

    @app.post(base, summary=f"Create a {kind.label}", status_code=201)
    def create_entry(definition: Annotated[Definition, Body()]) -> Response[View]:  # type: ignore[valid-type]
        entry = catalogue_admin().create_entry(kind, definition)
        changed(entry, None, "created")
        location = f"{base}/{kind.url_key(entry.key)}"
        return tagged(view(entry), entry.state.version, 201, Location=location)

    @app.get(f"{base}/<key>", summary=f"One {kind.label} with its state")
    def get_entry(key: Key) -> Response[View]:  # type: ignore[valid-type]
        entry = catalogue_admin().entry(kind, kind.stored_key(key))
        return tagged(view(entry), entry.state.version)

    @app.put(f"{base}/<key>", summary=f"Edit a {kind.label} (its key never changes)")
    def update_entry(
        key: Key,
        edit: Annotated[Edit, Body()],  # type: ignore[valid-type]
        if_match: IfMatch = None,
    ) -> Response[View]:  # type: ignore[valid-type]
        before, after = catalogue_admin().update_entry(kind, kind.stored_key(key), edit, version_of(if_match))
        changed(after, before, "edited")
        return tagged(view(after), after.state.version)

    @app.post(f"{base}/<key>/retire", summary=f"Retire a {kind.label}, refused while still used")
    def retire_entry(
        key: Key,
        request: Annotated[RetireRequest | None, Body()] = None,
        if_match: IfMatch = None,
    ) -> Response[View]:  # type: ignore[valid-type]
        before, after = catalogue_admin().retire_entry(kind, kind.stored_key(key), version_of(if_match, request))
        changed(after, before, "retired")
        return tagged(view(after), after.state.version)


for each_kind in KINDS.values():
    register(each_kind)

handler = api_handler(app)
