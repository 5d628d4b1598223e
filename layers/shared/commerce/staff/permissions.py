"""Staff groups (Cognito staff pool groups) and the permissions each grants.

The server checks a route's permission on every admin request; the SPA only hides what a
staff member may not do. Group names are the Cognito group names, so they are declared once here.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    MANAGE_ORDERS = "MANAGE_ORDERS"
    MANAGE_PRODUCTS = "MANAGE_PRODUCTS"
    MANAGE_INVENTORY = "MANAGE_INVENTORY"
    HANDLE_PAYMENTS = "HANDLE_PAYMENTS"
    MANAGE_CUSTOMERS = "MANAGE_CUSTOMERS"
    MANAGE_PROMOTIONS = "MANAGE_PROMOTIONS"
    VIEW_REPORTS = "VIEW_REPORTS"
    MANAGE_STAFF = "MANAGE_STAFF"
    MANAGE_SETTINGS = "MANAGE_SETTINGS"
    # One's own staff profile and permissions (GET /admin/me): every group grants it, so that every
    # /admin route still names the permission it needs (commerce.common.api fails closed otherwise).
    VIEW_PROFILE = "VIEW_PROFILE"


class StaffGroup(StrEnum):
    ADMIN = "admin"
    ORDER_MANAGER = "order-manager"
    CUSTOMER_SERVICE = "customer-service"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    MARKETING = "marketing"
    CATALOGUE_MANAGER = "catalogue-manager"


# What every staff group grants, whatever else it does.
EVERY_STAFF_MEMBER: frozenset[Permission] = frozenset({Permission.VIEW_PROFILE})

_GRANTS: dict[StaffGroup, frozenset[Permission]] = {
    StaffGroup.ADMIN: frozenset(Permission),
    StaffGroup.ORDER_MANAGER: frozenset(
        {Permission.MANAGE_ORDERS, Permission.MANAGE_CUSTOMERS, Permission.VIEW_REPORTS}
    ),
    StaffGroup.CUSTOMER_SERVICE: frozenset({Permission.MANAGE_ORDERS, Permission.MANAGE_CUSTOMERS}),
    StaffGroup.WAREHOUSE: frozenset({Permission.MANAGE_INVENTORY}),
    StaffGroup.FINANCE: frozenset({Permission.HANDLE_PAYMENTS, Permission.VIEW_REPORTS}),
    StaffGroup.MARKETING: frozenset({Permission.MANAGE_PROMOTIONS, Permission.VIEW_REPORTS}),
    StaffGroup.CATALOGUE_MANAGER: frozenset({Permission.MANAGE_PRODUCTS, Permission.MANAGE_INVENTORY}),
}
GROUP_PERMISSIONS: dict[StaffGroup, frozenset[Permission]] = {
    group: granted | EVERY_STAFF_MEMBER for group, granted in _GRANTS.items()
}


def permissions_of(groups: Iterable[str]) -> frozenset[Permission]:
    """Union of the permissions of the given group names; unknown names grant nothing."""
    granted: set[Permission] = set()
    for name in groups:
        try:
            granted |= GROUP_PERMISSIONS[StaffGroup(name)]
        except ValueError:
            continue
    return frozenset(granted)
