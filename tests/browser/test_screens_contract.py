"""The admin app's screen table (admin/src/screens.json) against the platform's topology: a screen
or button the app shows for a permission must call a route that asks for that same permission,
or the app would offer what the server refuses (or hide what it allows). Routes still being built
are skipped until they are in the topology."""

from __future__ import annotations

import json
from typing import Any

from commerce.staff.permissions import Permission
from tests.browser.conftest import PLATFORM_ROUTES, ROOT, SCREENS, route_key


def _entries() -> list[tuple[str, str, str | None]]:
    """(what, route, permission) for every screen route and action of screens.json."""
    found: list[tuple[str, str, str | None]] = []
    for name, screen in SCREENS["resources"].items():
        found += [(f"{name}.{kind}", route, screen["permission"]) for kind, route in screen["routes"].items()]
    found += [(name, action["route"], action["permission"]) for name, action in SCREENS["actions"].items()]
    return found


def test_every_permission_the_app_names_exists() -> None:
    named = {permission for _what, _route, permission in _entries() if permission is not None}
    assert named <= {p.value for p in Permission}, named - {p.value for p in Permission}


def test_the_app_asks_for_the_permission_each_existing_route_checks() -> None:
    mismatched: list[str] = []
    for what, route, permission in _entries():
        declared: Any = PLATFORM_ROUTES.get(route_key(route))
        if declared is not None and declared.permission != permission:
            mismatched.append(f"{what}: {route} needs {declared.permission}, screens.json says {permission}")
    assert not mismatched, "update admin/src/screens.json:\n" + "\n".join(mismatched)


def test_the_list_parameters_are_the_routes_own() -> None:
    """Each list screen sends only parameters its route's handler declares (the API refuses others):
    checked against the committed OpenAPI document for the routes it describes."""
    paths = json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"]
    wrong: list[str] = []
    for name, screen in SCREENS["resources"].items():
        operation = paths.get(screen["path"], {}).get("get")
        if operation is None:
            continue
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        sent = set(screen["params"]) | ({"limit", "cursor"} if screen.get("paged", True) else set())
        if sent - declared:
            wrong.append(f"{name}: {sorted(sent - declared)} not among {sorted(declared)}")
    assert not wrong, "update admin/src/screens.json:\n" + "\n".join(wrong)
