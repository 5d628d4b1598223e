"""Catalogue and search services. Each function gets only the tables its topology entry declares,
so every builder here asks only for the variables its callers have."""

from __future__ import annotations

import os
from functools import cache

from commerce.common.settings import EnvModel, from_env

SNAPSHOT_CHECK_SECONDS = 10.0


class CatalogEnv(EnvModel):
    catalog_table: str
    event_bus_name: str
    catalogue_import_state_machine_arn: str | None = None


class SearchEnv(EnvModel):
    search_table: str


class SearchIndexerEnv(EnvModel):
    search_table: str
    catalog_table: str


@cache
def catalog_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository, DynamoReferenceRepository
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.catalog.service import CatalogService

    env = from_env(CatalogEnv)
    imports = (
        StepFunctionsWorkflow(env.catalogue_import_state_machine_arn)
        if env.catalogue_import_state_machine_arn
        else None
    )
    return CatalogService(
        DynamoProductRepository(env.catalog_table),
        EventBridgePublisher(env.event_bus_name),
        imports,
        DynamoReferenceRepository(env.catalog_table),
    )


@cache
def snapshot_cache():  # type: ignore[no-untyped-def]
    """The in-memory catalogue index of this warm container (loaded lazily, refreshed by generation)."""
    from commerce.adapters.search_dynamo import DynamoSnapshotStore
    from commerce.search.snapshot import SnapshotCache

    return SnapshotCache(DynamoSnapshotStore(from_env(SearchEnv).search_table), check_every=SNAPSHOT_CHECK_SECONDS)


@cache
def storefront():  # type: ignore[no-untyped-def]
    """Listing, detail, similar, browse: uses the catalogue and inventory when the function has them."""
    from commerce.catalog.storefront import StorefrontService
    from commerce.wiring.inventory import inventory_service

    catalogue = catalog_service() if os.environ.get("CATALOG_TABLE") else None
    stock = inventory_service() if os.environ.get("INVENTORY_TABLE") else None
    return StorefrontService(snapshot_cache().engine, catalogue, stock)


@cache
def search_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.search_dynamo import DynamoSearchLog
    from commerce.search.service import SearchService

    return SearchService(snapshot_cache().engine, DynamoSearchLog(from_env(SearchEnv).search_table))


@cache
def document_store():  # type: ignore[no-untyped-def]
    from commerce.adapters.search_dynamo import DynamoDocumentStore

    return DynamoDocumentStore(from_env(SearchEnv).search_table)


@cache
def search_indexer():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository
    from commerce.catalog.service import CatalogService
    from commerce.search.indexer import SearchIndexer

    env = from_env(SearchIndexerEnv)
    return SearchIndexer(CatalogService(DynamoProductRepository(env.catalog_table)), document_store())


@cache
def snapshot_publisher():  # type: ignore[no-untyped-def]
    from commerce.adapters.search_dynamo import DynamoSnapshotStore
    from commerce.search.snapshot import SnapshotPublisher
    from commerce.wiring.inventory import inventory_service

    return SnapshotPublisher(
        document_store(), inventory_service(), DynamoSnapshotStore(from_env(SearchEnv).search_table)
    )
