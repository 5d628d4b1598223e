"""Each catalogue/search function builds its services from only the environment its topology entry
declares (on AWS a function gets no variable for a table it does not declare)."""

from __future__ import annotations

import pytest

from commerce.wiring import catalog as wiring
from commerce.wiring import inventory
from tests.unit.wiring_support import wires_up_from_its_declared_environment_only

BUILDERS = {
    "catalog-list-products": [wiring.storefront],
    "catalog-get-product": [wiring.storefront],
    "catalog-browse": [wiring.storefront],
    "catalog-manage-reference": [wiring.catalog_service],
    "search-search-products": [wiring.search_service],
    "search-index-products": [wiring.search_indexer],
    "search-publish-snapshot": [wiring.snapshot_publisher],
}
CACHED = [
    wiring.catalog_service,
    wiring.snapshot_cache,
    wiring.storefront,
    wiring.search_service,
    wiring.document_store,
    wiring.search_indexer,
    wiring.snapshot_publisher,
    inventory.inventory_service,
]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_function_wires_up_from_its_declared_environment_only(name, monkeypatch):
    wires_up_from_its_declared_environment_only(name, BUILDERS[name], CACHED, monkeypatch)
