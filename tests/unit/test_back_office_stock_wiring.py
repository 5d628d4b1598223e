"""The catalogue and inventory back-office functions build their services from only the environment
their topology entries declare (on AWS a function gets no variable for what it does not declare)."""

from __future__ import annotations

import os

import pytest

from commerce.wiring import catalog, catalog_admin, inventory, inventory_admin
from infra.model import function_env
from infra.topology import TOPOLOGY

BUILDERS = {
    "catalog-admin-reference": [catalog_admin.catalogue_admin],
    "catalog-admin-products": [catalog_admin.catalogue_admin],
    "catalog-admin-csv-import": [catalog_admin.csv_imports],
    "catalog-start-import": [catalog.catalog_service],
    "inventory-admin-stock": [inventory_admin.stock_admin],
    "inventory-watch-stock": [inventory_admin.stock_watcher],
}
CACHED = [
    catalog_admin.catalogue_admin,
    catalog_admin.csv_imports,
    catalog.catalog_service,
    inventory.inventory_service,
    inventory_admin.stock_admin,
    inventory_admin.stock_watcher,
]


@pytest.fixture
def clean_wiring():
    for builder in CACHED:
        builder.cache_clear()
    yield
    for builder in CACHED:
        builder.cache_clear()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_function_wires_up_from_its_declared_environment_only(name, monkeypatch, clean_wiring):
    fn = TOPOLOGY.function(name)
    env = function_env(TOPOLOGY, fn, lambda kind, logical: f"{kind}-{logical}")
    for key in [k for k in os.environ if k.endswith(("_TABLE", "_ARN", "EVENT_BUS_NAME"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for builder in BUILDERS[name]:
        assert builder() is not None


def test_the_products_function_checks_reservations_only_because_it_declares_the_inventory_table():
    declared = dict(TOPOLOGY.function("catalog-admin-products").tables)
    assert declared == {"catalog": "write", "inventory": "read"}
    assert TOPOLOGY.table("inventory").stream and TOPOLOGY.function("inventory-watch-stock").stream is not None
