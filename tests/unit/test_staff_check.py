from commerce.common.api import authorise_staff
from commerce.staff.permissions import Permission

REQUIRED = {"POST /admin/things": Permission.MANAGE_PRODUCTS}


def event(resource: str, claims: dict | None) -> dict:
    return {
        "httpMethod": "POST",
        "resource": resource,
        "requestContext": {"requestId": "r-1", "authorizer": {"claims": claims} if claims else {}},
    }


def test_a_member_of_a_granting_group_passes():
    assert (
        authorise_staff(event("/admin/things", {"sub": "s", "cognito:groups": "catalogue-manager"}), REQUIRED) is None
    )


def test_a_member_of_other_groups_is_forbidden():
    refused = authorise_staff(event("/admin/things", {"sub": "s", "cognito:groups": "warehouse,finance"}), REQUIRED)
    assert refused is not None and refused.status_code == 403


def test_no_claims_is_unauthorised():
    refused = authorise_staff(event("/admin/things", None), REQUIRED)
    assert refused is not None and refused.status_code == 401


def test_an_admin_route_without_a_declared_permission_is_refused_even_for_admins():
    refused = authorise_staff(event("/admin/other", {"sub": "s", "cognito:groups": "admin"}), REQUIRED)
    assert refused is not None and refused.status_code == 403


def test_public_routes_are_not_touched():
    assert authorise_staff(event("/products", None), REQUIRED) is None
