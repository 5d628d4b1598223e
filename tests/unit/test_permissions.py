from commerce.common.api import _groups
from commerce.staff.permissions import Permission, StaffGroup, permissions_of


def test_admin_holds_every_permission_and_unknown_groups_grant_nothing():
    assert permissions_of(["admin"]) == frozenset(Permission)
    assert permissions_of(["root", "customers"]) == frozenset()


def test_a_warehouse_user_cannot_touch_finance_or_products():
    granted = permissions_of([StaffGroup.WAREHOUSE])
    assert Permission.MANAGE_INVENTORY in granted
    assert Permission.HANDLE_PAYMENTS not in granted and Permission.MANAGE_PRODUCTS not in granted


def test_every_group_grants_something():
    assert all(permissions_of([group]) for group in StaffGroup)


def test_group_claims_are_read_in_every_shape_api_gateway_sends():
    assert _groups("admin,finance") == ["admin", "finance"]
    assert _groups("[admin finance]") == ["admin", "finance"]
    assert _groups(["warehouse"]) == ["warehouse"]
    assert _groups(None) == []
