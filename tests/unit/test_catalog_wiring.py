"""Each catalogue/search function builds its services from only the environment its topology entry
declares (on AWS a function gets no variable for a table it does not declare)."""

from __future__ import annotations

import os

import pytest

from commerce.wiring import catalog as wiring
from commerce.wiring import inventory
from infra.model import function_env
from infra.topology import TOPOLOGY

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


@pytest.fixture
def clean_wiring():
    for builder in CACHED:
        builder.cache_clear()
    yield
    for builder in CACHED:
        builder.cache_clear()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_function_wires_up_from_its_declared_environment_only(name, monkeypatch, clean_wiring):
    fn = next(f for f in TOPOLOGY.functions if f.name == name)
    env = function_env(TOPOLOGY, fn, lambda kind, logical: f"{kind}-{logical}")
    for key in [k for k in os.environ if k.endswith(("_TABLE", "_ARN", "EVENT_BUS_NAME"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for builder in BUILDERS[name]:
        assert builder() is not None
