"""The catalogue, inventory, finance and staff-alert back-office functions build their services from
only the environment their topology entries declare (on AWS a function gets no variable for what it
does not declare)."""

from __future__ import annotations

import pytest

from commerce.wiring import catalog, catalog_admin, inventory, inventory_admin, notifications, payments_admin
from infra.topology import TOPOLOGY
from tests.unit.wiring_support import wires_up_from_its_declared_environment_only

BUILDERS = {
    "catalog-admin-reference": [catalog_admin.catalogue_admin],
    "catalog-admin-products": [catalog_admin.catalogue_admin],
    "catalog-admin-csv-import": [catalog_admin.csv_imports],
    "catalog-start-import": [catalog.catalog_service],
    "inventory-admin-stock": [inventory_admin.stock_admin],
    "inventory-watch-stock": [inventory_admin.stock_watcher],
    "payments-admin": [payments_admin.payments_admin],
    "notifications-send-staff-alert": [notifications.staff_alerts],
}
CACHED = [
    catalog_admin.catalogue_admin,
    catalog_admin.csv_imports,
    catalog.catalog_service,
    inventory.inventory_service,
    inventory_admin.stock_admin,
    inventory_admin.stock_watcher,
    payments_admin.payments_admin,
    notifications.staff_alerts,
]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_function_wires_up_from_its_declared_environment_only(name, monkeypatch):
    wires_up_from_its_declared_environment_only(name, BUILDERS[name], CACHED, monkeypatch)


def test_the_products_function_checks_reservations_only_because_it_declares_the_inventory_table():
    declared = dict(TOPOLOGY.function("catalog-admin-products").tables)
    assert declared == {"catalog": "write", "inventory": "read"}
    assert TOPOLOGY.table("inventory").stream and TOPOLOGY.function("inventory-watch-stock").stream is not None
