"""Audit entries. One per entity a staff write changed (or one for the request when the handler
names none). Stored in table ``audit``: ``ENTITY#<type>#<id>``/``<at>#<audit id>`` (an entity's
history), and GSI ``by_day`` (``day``, ``at``) for browsing everything newest first."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Change(BaseModel):
    """What a handler says it changed (``commerce.audit.log.changed``)."""

    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class AuditEntry(BaseModel):
    audit_id: str
    at: str
    day: str = Field(description="YYYY-MM-DD of ``at`` (the by_day index)")
    actor: str = Field(description="staff:<cognito sub>")
    actor_email: str | None = None
    action: str = Field(description="The route: 'POST /admin/orders/{order_id}/cancel'")
    path: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    status: int
    request_id: str | None = None
