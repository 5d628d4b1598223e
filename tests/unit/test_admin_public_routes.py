"""The staff check lets through the /admin routes a handler names public (staff sign-in) and only
those: any other /admin route without a declared permission is still refused, and a route the
topology gives a permission is checked even if a handler called it public."""

from __future__ import annotations

from commerce.common.api import authorise_staff
from commerce.staff.permissions import Permission

PUBLIC = frozenset({"POST /admin/auth/sign-in"})
REQUIRED = {"GET /admin/me": Permission.VIEW_PROFILE}


def event(method: str, resource: str, claims: dict | None = None) -> dict:
    return {
        "httpMethod": method,
        "resource": resource,
        "requestContext": {"requestId": "r-1", "authorizer": {"claims": claims} if claims else {}},
    }


def test_a_public_admin_route_needs_no_token_and_no_permission():
    assert authorise_staff(event("POST", "/admin/auth/sign-in"), REQUIRED, PUBLIC) is None


def test_other_admin_routes_without_a_permission_are_still_refused():
    refused = authorise_staff(
        event("POST", "/admin/auth/other", {"sub": "s", "cognito:groups": "admin"}), REQUIRED, PUBLIC
    )
    assert refused is not None and refused.status_code == 403
    assert authorise_staff(event("POST", "/admin/auth/sign-in"), REQUIRED).status_code == 403  # type: ignore[union-attr]


def test_a_declared_permission_wins_over_a_public_name():
    refused = authorise_staff(event("GET", "/admin/me"), REQUIRED, frozenset({"GET /admin/me"}))
    assert refused is not None and refused.status_code == 401


def test_every_staff_group_may_see_its_own_profile():
    for group in ("warehouse", "finance", "marketing", "admin"):
        assert authorise_staff(event("GET", "/admin/me", {"sub": "s", "cognito:groups": group}), REQUIRED) is None
