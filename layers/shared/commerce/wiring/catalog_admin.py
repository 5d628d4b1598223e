"""The catalogue back office (commerce.catalog.admin) and CSV imports (commerce.catalog.imports).
Each builder asks only for the variables its functions declare."""

from __future__ import annotations

from functools import cache

from commerce.common.settings import EnvModel, from_env


class AdminEnv(EnvModel):
    catalog_table: str
    event_bus_name: str
    inventory_table: str | None = None  # the SKU retire check (units reserved)


class CsvImportEnv(EnvModel):
    catalog_table: str
    catalogue_import_state_machine_arn: str


class InventoryReserved:
    """The inventory context's public service, as the catalogue's StockReader."""

    def reserved(self, sku: str) -> int:
        from commerce.wiring.inventory import inventory_service

        return int(inventory_service().reserved(sku))


@cache
def catalogue_admin():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository, DynamoReferenceRepository
    from commerce.adapters.events import EventBridgePublisher
    from commerce.catalog.admin import CatalogueAdmin
    from commerce.catalog.service import CatalogService

    env = from_env(AdminEnv)
    products = DynamoProductRepository(env.catalog_table)
    reference = DynamoReferenceRepository(env.catalog_table)
    catalog = CatalogService(products, EventBridgePublisher(env.event_bus_name), None, reference)
    return CatalogueAdmin(catalog, products, reference, InventoryReserved() if env.inventory_table else None)


@cache
def csv_imports():  # type: ignore[no-untyped-def]
    from commerce.adapters.catalog_dynamo import DynamoProductRepository, DynamoReferenceRepository
    from commerce.adapters.workflows import StepFunctionsWorkflow
    from commerce.catalog.imports import CsvImports

    env = from_env(CsvImportEnv)
    return CsvImports(
        DynamoProductRepository(env.catalog_table),
        DynamoReferenceRepository(env.catalog_table),
        StepFunctionsWorkflow(env.catalogue_import_state_machine_arn),
    )
