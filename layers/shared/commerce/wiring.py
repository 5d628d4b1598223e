"""Composition root: builds each context's service from its environment and adapters, once per
warm container. Handlers call these; domain code never sees boto3 or os.environ."""

from __future__ import annotations

from functools import cache

from commerce.common.settings import EnvModel, from_env


class CatalogEnv(EnvModel):
    catalog_table: str
    event_bus_name: str
    catalogue_import_state_machine_arn: str | None = None


class SearchEnv(EnvModel):
    search_table: str
    catalog_table: str


@cache
def catalog_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.catalog.service import CatalogService

    env = from_env(CatalogEnv)
    imports = (
        StepFunctionsWorkflow(env.catalogue_import_state_machine_arn)
        if env.catalogue_import_state_machine_arn
        else None
    )
    return CatalogService(DynamoProductRepository(env.catalog_table), EventBridgePublisher(env.event_bus_name), imports)


@cache
def search_indexer():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository
    from commerce.adapters.search_dynamo import DynamoSearchIndex
    from commerce.catalog.service import CatalogService
    from commerce.search.indexer import SearchIndexer

    env = from_env(SearchEnv)
    return SearchIndexer(
        CatalogService(DynamoProductRepository(env.catalog_table)), DynamoSearchIndex(env.search_table)
    )
