"""Collecting audit changes during a staff write, and turning them into entries afterwards.

A handler that changes something calls ``changed(entity_type, entity_id, before, after)``; the API
entry point (``commerce.common.api.api_handler``) writes the entries once the route answered 2xx.
A staff write that names nothing is still recorded, with its request body as ``after``."""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from commerce.audit.models import AuditEntry, Change
from commerce.common.clock import new_id

_changes: ContextVar[list[Change] | None] = ContextVar("audit_changes", default=None)


def begin() -> None:
    _changes.set([])


def changed(
    entity_type: str, entity_id: str, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None
) -> None:
    """Record what this staff write changed (call once per entity, after the change is stored)."""
    collected = _changes.get()
    if collected is None:  # not inside a staff write (a workflow task, a test calling the service)
        return
    collected.append(Change(entity_type=entity_type, entity_id=entity_id, before=before, after=after))


def collected() -> list[Change]:
    return list(_changes.get() or [])


def entries(event: dict[str, Any], status: int, now: datetime | None = None) -> list[AuditEntry]:
    """The entries of one answered staff write."""
    at_time = now or datetime.now(UTC)
    at = at_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    changes = collected() or [_request_as_change(event)]
    return [
        AuditEntry(
            audit_id=new_id("aud"),
            at=at,
            day=at[:10],
            actor=f"staff:{claims.get('sub', 'unknown')}",
            actor_email=claims.get("email"),
            action=f"{event.get('httpMethod')} {event.get('resource')}",
            path=str(event.get("path") or ""),
            entity_type=change.entity_type,
            entity_id=change.entity_id,
            before=change.before,
            after=change.after,
            status=status,
            request_id=context.get("requestId"),
        )
        for change in changes
    ]


def _request_as_change(event: dict[str, Any]) -> Change:
    resource = str(event.get("resource") or "")
    parameters = event.get("pathParameters") or {}
    entity_type = resource.removeprefix("/admin/").split("/")[0] or "admin"
    entity_id = ",".join(str(v) for v in parameters.values()) or "-"
    try:
        body = json.loads(event.get("body") or "null")
    except ValueError:
        body = None
    return Change(entity_type=entity_type, entity_id=entity_id, after=body if isinstance(body, dict) else None)
